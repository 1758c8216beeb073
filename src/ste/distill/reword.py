"""A kept request reworded in the user's words, where it spoke the tool's.

A small model imagining requests for a tool writes them in the tool's own vocabulary: "the
official language of the country with the code FRA", "from the IANA time zone
'Europe/Paris' to 'UTC'", "using the 'top_words' metric". The trial is right, but as a
demonstration it teaches nothing a user needs: a user asks about France, Paris time or the
most common words, and the model must find the code, the zone or the metric itself (in
xdev2's in-context condition, four of the 1.5B model's misses passed "CH" for Switzerland
where every retrieved country demonstration had been asked with the code "FRA").

So a kept request that names an argument value in a tool's form (an identifier with an
underscore or a slash, an upper-case code, a camel-case unit, a comma-inverted name) is
asked for once more in everyday words, and the rewording replaces it only if:
- it still reads as a request (`natural_query`) and keeps every other value it named (a
  date may be said in words: "March 26, 2025" for '2025-03-26');
- a tool form it no longer names verbatim is named by a word of its own (a part of the
  form, "Paris" for 'Europe/Paris', "words" for 'top_words', "boiled" for 'egg, boiled',
  or a name the call's result gives, "France" for 'FRA');
- at least one tool form is gone (else it teaches nothing new).
The call, its result and the answer stay those of the trial: the example now shows the
step from the user's words to the tool's form, which the trial really took.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ste.checks.requests import natural_query
from ste.distill.example import Example
from ste.distill.paraphrase import names_value, required_values
from ste.explore.memory import clean_query
from ste.explore.settings import trial_seed
from ste.jsonl import append_jsonl, read_jsonl
from ste.models.base import ChatModel, Generation
from ste.models.retry import RequestFailed
from ste.outcome import leaves
from ste.prompts import render
from ste.tools.tool import Tool

REWORDINGS = "rewordings.jsonl"  # each kept request asked for in the user's words
REWORD_TRIES = 3  # the first greedy, the others sampled
_STRONG = re.compile(r"_|/|\b[A-Z]{2,5}\b|[a-z][A-Z]")  # top_words, Europe/Paris, FRA, degC
_INVERTED = re.compile(r"[^,.!?;:\d]+(?:, [^,.!?;:\d]+)+")  # 'egg, boiled', 'London, GB'
_WORD = re.compile(r"[^\W\d_]{3,}")
_PART = re.compile(r"[^\W_]+")
_QUOTES = "\"'“”‘’`"
# words a rewording may use that name nothing by themselves
_COMMON = frozenset(
    {"the", "and", "for", "with", "from", "into", "what", "which", "how", "many", "much"}
    | {"time", "code", "name", "names", "value", "values", "tool", "use", "using", "give"}
    | {"find", "tell", "show", "please", "about", "that", "this"}
)


def _quoted(text: str, value: str) -> bool:
    quotes = re.escape(_QUOTES)
    pattern = f"[{quotes}]{re.escape(value.casefold())}[{quotes}]"
    return re.search(pattern, text.casefold()) is not None


def is_tool_form(value: Any, query: str) -> bool:
    """A string argument value written as a tool spells it rather than as people say it: an
    identifier without spaces carrying an underscore, a slash, an upper-case code or a
    camel case; or a short comma-inverted name that the request does not quote (a quoted
    value is the user's own text)."""
    if not isinstance(value, str) or not value.strip() or len(value) > 40:
        return False
    if _STRONG.search(value) and not re.search(r"\s", value.replace(", ", ",")):
        return True
    parts = value.split(", ")
    return (
        _INVERTED.fullmatch(value) is not None
        and all(len(p.split()) <= 3 for p in parts)
        and not _quoted(query, value)
    )


def tool_forms(example: Example) -> list[str]:
    """The values in a tool's form that the example's successful calls pass and its
    request names verbatim."""
    forms: list[str] = []
    for turn in example.turns:
        if not turn.ok:
            continue
        for value in leaves(turn.arguments):
            named = is_tool_form(value, example.query) and names_value(example.query, value)
            if named and value not in forms:
                forms.append(value)
    return forms


def _parts(value: str) -> list[str]:
    return [p.casefold() for p in _PART.findall(value) if len(p) >= 2]


def _result_names(example: Example) -> set[str]:
    """The words of the values its results give under a key that names something ("name",
    "country_name", "label", "title")."""
    words: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if isinstance(value, str) and re.search(r"name|label|title", str(key), re.I):
                    words.update(w.casefold() for w in _WORD.findall(value))
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for turn in example.turns:
        if turn.ok:
            try:
                walk(json.loads(turn.observation))
            except (json.JSONDecodeError, ValueError, RecursionError):
                continue
    return words


def _names(word: str, value: str, result_names: set[str]) -> bool:
    if word in _COMMON:
        return False
    if word in result_names:
        return True
    return any(word == p or (len(p) >= 3 and word.startswith(p)) for p in _parts(value))


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})")


def keeps_value(text: str, value: str) -> bool:
    """Whether `text` keeps `value`: as written, or an ISO date in words ("March 26, 2025"
    or "26 March 2025" for '2025-03-26'), as a user says it."""
    if names_value(text, value):
        return True
    date = _ISO.fullmatch(value)
    if not date or not 1 <= int(date.group(2)) <= 12:
        return False
    year, month, day = date.group(1), _MONTHS[int(date.group(2)) - 1], int(date.group(3))
    ordinal = r"(?:st|nd|rd|th)?"
    spoken = (
        rf"\b{month}\s+{day}{ordinal},?\s+{year}\b",
        rf"\b{day}{ordinal}\s+(?:of\s+)?{month},?\s+{year}\b",
    )
    return any(re.search(pattern, text, re.IGNORECASE) for pattern in spoken)


def check_rewording(
    text: str, example: Example, forms: list[str], kept: list[str], tool: Tool | None
) -> tuple[bool, str]:
    """(accepted, why) for `text` as the rewording of `example`'s request, whose tool forms
    are `forms` and whose other named values `kept` must stay."""
    if not text:
        return False, "no request in the reply"
    if text.casefold().strip() == example.query.casefold().strip():
        return False, "repeats the request"
    natural = natural_query(text, tool)
    if not natural.ok:
        return False, natural.reason
    dropped = [v for v in kept if not keeps_value(text, v)]
    if dropped:
        return False, "drops " + ", ".join(repr(v) for v in dropped)
    gone = [f for f in forms if not names_value(text, f)]
    if not gone:
        return False, "still names " + ", ".join(repr(f) for f in forms)
    names = _result_names(example)
    words = [w.casefold() for w in _WORD.findall(text)]
    unnamed = [f for f in gone if not any(_names(w, f, names) for w in words)]
    if unnamed:
        return False, "names nothing for " + ", ".join(repr(f) for f in unnamed)
    return True, "in the user's words: " + ", ".join(repr(f) for f in gone)


async def reword_once(
    model: ChatModel, query: str, forms: list[str], seed: int, temperature: float
) -> tuple[str, str]:
    """(the reworded request, the raw reply)."""
    values = ", ".join(json.dumps(f, ensure_ascii=False) for f in forms)
    prompt = render("distill_reword", query=query, values=values)
    response = await model.chat(
        [{"role": "user", "content": prompt}], generation=Generation(temperature, 160, seed=seed)
    )
    return clean_query(response.text), response.text


def reworded(example: Example, records: list[dict[str, Any]]) -> Example:
    """`example` with its request in the user's words, where a rewording was accepted."""
    accepted = [r for r in records if r["accepted"]]
    if not accepted:
        return example
    return example.model_copy(
        update={"query": accepted[0]["text"], "practised_query": example.query}
    )


async def reword_all(
    originals: list[Example],
    tools: dict[str, Tool],
    model: ChatModel | None,
    out: Path,
    seed: int,
    progress: Callable[[str, int, int], None] | None,
) -> dict[str, list[dict[str, Any]]]:
    """The rewording attempts of every kept request naming a tool form, those of an earlier
    run read back (`rewordings.jsonl`), new ones asked one at a time (each is short)."""
    earlier: dict[str, list[dict[str, Any]]] = {}
    for record in read_jsonl(out / REWORDINGS):
        earlier.setdefault(record["source"], []).append(record)
    wanted = [(e, forms) for e in originals if (forms := tool_forms(e))]
    for done, (example, forms) in enumerate(wanted, 1):
        records = earlier.setdefault(example.id, [])
        passed = [t.arguments for t in example.turns if t.ok]
        kept_values = [v for v in required_values(example.query, passed) if v not in forms]
        while (
            model is not None
            and len(records) < REWORD_TRIES
            and not any(r["accepted"] for r in records)
        ):
            attempt = len(records)
            try:
                text, raw = await reword_once(
                    model,
                    example.query,
                    forms,
                    trial_seed(seed, example.id, 1, attempt),
                    temperature=0.0 if attempt == 0 else 1.0,
                )
            except RequestFailed:  # the endpoint failed: the request stays as practised
                break
            ok, reason = check_rewording(text, example, forms, kept_values, tools.get(example.tool))
            record = {
                "source": example.id,
                "attempt": attempt,
                "text": text,
                "raw": raw,
                "accepted": ok,
                "reason": reason,
            }
            append_jsonl(out / REWORDINGS, record)
            records.append(record)
        if progress:
            progress("reword", done, len(wanted))
    return earlier
