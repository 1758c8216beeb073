"""A value the request names that the tool refused is not swapped, unasked, for another."""

from __future__ import annotations

import json
import re

from ste.checks.arguments import _TOKENS, in_request, mentions
from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.tool import Tool


def _chose_unasked(old: str, new: str, refusal: str, query: str) -> bool:
    """Whether `new` qualifies `old` as one of several candidates the tool's refusal offered
    ("'London' is ambiguous: 'London, CA', 'London, GB'") by a qualifier the request does not
    give: a guess, right or wrong, that the example would teach as the answer."""
    quoted = re.findall(r"'([^']+)'|\"([^\"]+)\"", refusal)
    offered = {(single or double).casefold() for single, double in quoted}
    candidates = {c for c in offered if old.casefold() in c and c != old.casefold()}
    if new.casefold() not in candidates or len(candidates) < 2:
        return False
    qualifier = new.casefold().replace(old.casefold(), " ")
    return not any(mentions(query, word) for word in re.findall(r"\w+", qualifier))


# the refusal saying the refused value is another name of one it accepts
_ALIAS = re.compile(r"\b(?:alias|canonical|also known as|same as|short for|stands for)\b", re.I)


def _same_thing(old: object, new: object, refusal: str) -> bool:
    """Whether `new` is `old` in the tool's form: an abbreviation of it ('mi' for 'miles',
    'ft' for 'feet': its first letter, then letters of it in order), or the name the
    refusal gives as the one it accepts for it ("'US/Eastern' is an alias (link) name ...;
    use the canonical name 'America/New_York'")."""
    if not (isinstance(old, str) and isinstance(new, str)) or not new or not old:
        return False
    short, long = new.casefold(), old.casefold()
    if 2 <= len(short) < len(long) and short[0] == long[0] and short.isalpha():
        letters = iter(long)
        if all(letter in letters for letter in short):
            return True
    return bool(_ALIAS.search(refusal)) and f"'{new}'" in refusal


def kept_to_the_request(trial: Trial, tool: Tool) -> Check:
    """A value the request names that the tool refused is not swapped, unasked, for another
    the tool accepts: olive oil for coconut oil, 2024's holidays for 2023's. Where a failed
    call passed a value the request names and the next successful call passes, in its
    place, one the request does not name (and not the same value qualified: 'London' ->
    'London, GB'), a rule cannot tell a translation ('IST' -> 'Asia/Kolkata') from a swap:
    the judge is asked. So it is where the qualified value is one of several the tool
    offered for an ambiguous one, by a qualifier the request does not give."""
    properties = tool.parameters.get("properties", {})
    steps = trial.call_steps
    for index, failed in enumerate(steps):
        if failed.tool_ok is not False or failed.call is None:
            continue
        after = next((s for s in steps[index + 1 :] if s.tool_ok is True and s.call), None)
        if after is None or after.call is None:
            break
        for name, old in failed.call.arguments.items():
            new = after.call.arguments.get(name, properties.get(name, {}).get("default"))
            if new == old or not in_request(old, trial.query) or in_request(new, trial.query):
                continue
            if old in after.call.arguments.values():
                continue  # moved to another parameter, not replaced: from Paris, not to it
            words = [set(_TOKENS.findall(str(v).casefold())) for v in (old, new)]
            if isinstance(new, str) and words[0] == words[1]:
                continue  # the same words in the tool's order: "rice, brown, cooked"
            if _same_thing(old, new, failed.observation or ""):
                continue
            refused = " ".join((failed.observation or "").split())[:200]
            shown_old, shown_new = json.dumps(old), json.dumps(new, ensure_ascii=False)
            if isinstance(old, str) and isinstance(new, str) and old.casefold() in new.casefold():
                if not _chose_unasked(old, new, failed.observation or "", trial.query):
                    continue
                return Check(
                    "kept_to_the_request",
                    False,
                    f"{name}={shown_old} was ambiguous and {shown_new} was chosen; the request "
                    "does not say which",
                    question=(
                        f"The tool refused {name}={shown_old} and answered: {refused}\n"
                        f"The call that gave the answer passed {name}={shown_new}. Does the "
                        f"user's request say, or clearly imply, that {shown_new} is the one meant?"
                    ),
                )
            return Check(
                "kept_to_the_request",
                False,
                f"{name}={shown_old} from the request was refused and replaced by {shown_new}",
                question=(
                    f"The tool refused {name}={shown_old} and answered: {refused}\n"
                    f"The call that gave the answer passed {name}={shown_new} instead. "
                    f"Does {shown_new} still mean what the user asked for, so that the answer "
                    f"answers the user's request?"
                ),
            )
    return Check("kept_to_the_request", True, "no value the request names was swapped")
