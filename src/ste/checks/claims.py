"""Rule checks that what an answer states is what the tool returned, read claim by claim.

The faithfulness check (`ste.outcome`) asks that every number and quoted value of an
answer be found somewhere: in a result, the request or the call's arguments. A small model
that did not get what it was asked for fills the gap with the request's own words, and
that passes: the top words of a text "found" by picking words out of the text when the
call only counted its sentences, "January 17" for a result of 2026-02-17 (17 is there, and
January is the request's), "United States" as all there is to say for "information about"
the country whose eleven fields the call returned, "22:00 UTC" for a result in CEST, "704
days ... inclusive of both days" for a result with `"inclusive": false`. Each is a claim no
call made.
"""

from __future__ import annotations

import json
import re

from ste.checks.arguments import mentions
from ste.checks.calls import record_results, successful_calls
from ste.checks.numbers import MONTH_NAME, month_numbers
from ste.checks.verdict import Check
from ste.outcome import ISO_DATE, has_clock_time, held, leaves, numbers_in, quoted_in, supported
from ste.records import Trial
from ste.tools.tool import Tool

__all__ = [
    "answers_broadly",
    "answered_in_users_terms",
    "dates_from_results",
    "flags_as_results",
    "names_from_results",
    "picked_from_request",
]

_DAY = r"(\d{1,2})(?:st|nd|rd|th)?"
# a date written out: "January 17, 2026", "Jan 17", "17 January 2026", "the 17th of January"
_WRITTEN_DATE = re.compile(
    rf"\b({MONTH_NAME})\s+{_DAY}(?!\d|:|\s*(?:am|pm)\b)|\b{_DAY}\s+(?:of\s+)?({MONTH_NAME})\b",
    re.IGNORECASE,
)
_ACRONYM = re.compile(r"\b[A-Z]{2,6}\b")
_TOKEN = re.compile(r"\w+")


def _month_days(text: str) -> set[tuple[int, int]]:
    """The (month, day) pairs of the dates `text` writes, out or in ISO form."""
    found = {(int(d[5:7]), int(d[8:10])) for d in ISO_DATE.findall(text or "")}
    for month_a, day_a, day_b, month_b in _WRITTEN_DATE.findall(text or ""):
        month = month_numbers((month_a or month_b).capitalize())
        day = int(day_a or day_b)
        if month and 1 <= day <= 31:
            found.add((int(next(iter(month))), day))
    return found


def _sources(trial: Trial) -> list[str]:
    texts = [trial.query]
    for step in trial.call_steps:
        if step.call is not None:
            texts.append(json.dumps(step.call.arguments, ensure_ascii=False))
        if step.tool_ok:
            texts.append(step.observation or "")
    return texts


def names_from_results(trial: Trial) -> Check:
    """Every code the answer names in capitals (a zone, a currency, a unit, a country) is
    in the request, a call's arguments or a result: `22:00 UTC` for a CEST result is not."""
    sources = _sources(trial)
    known = {token.casefold() for text in sources for token in _TOKEN.findall(text)}
    if has_clock_time(sources):  # "5:11 PM" for a result's 17:11
        known |= {"am", "pm"}
    named = dict.fromkeys(_ACRONYM.findall(trial.final_answer or ""))
    unknown = [name for name in named if name.casefold() not in known]
    if unknown:
        shown = ", ".join(unknown[:3])
        return Check("names_from_results", False, f"the answer names {shown}, found in no result")
    return Check("names_from_results", True, "the answer's codes come from the request or results")


def dates_from_results(trial: Trial) -> Check:
    """Every date the answer writes out ("January 17, 2026") is one a result, the request or
    a call holds, its month and day together: not a result's day in the request's month."""
    stated = _month_days(trial.final_answer or "")
    if not stated:
        return Check("dates_from_results", True, "the answer writes out no date")
    known = {pair for text in _sources(trial) for pair in _month_days(text)}
    unknown = sorted(stated - known)
    if unknown:
        month, day = unknown[0]
        return Check(
            "dates_from_results",
            False,
            f"the answer states the date {month:02d}-{day:02d} (month-day), found in no result, "
            "call or the request",
        )
    return Check("dates_from_results", True, "the answer's dates come from the results")


def picked_from_request(trial: Trial) -> Check:
    """An answer that quotes several values ("the top words are "am", "learning" and
    "new"") found in no result but only inside a longer text the request gave picked them
    itself: a claim no call made. A value a call passed whole, or a result holds, is not."""
    results = [s.observation or "" for s in successful_calls(trial)]
    whole = {
        str(leaf).strip().casefold()
        for step in trial.call_steps
        if step.call is not None
        for leaf in leaves(step.call.arguments)
    }
    whole |= {q.strip().casefold() for q in quoted_in(trial.query)}
    picked = [
        value
        for value in dict.fromkeys(quoted_in(trial.final_answer or ""))
        if value.strip().casefold() not in whole and not held(value, results)
    ]
    if len(picked) >= 2:
        shown = ", ".join(repr(v) for v in picked[:3])
        return Check(
            "picked_from_request",
            False,
            f"the answer quotes {shown}: no result holds them, only the request's own text",
        )
    return Check("picked_from_request", True, "what the answer quotes is whole or a result's")


# a request for what there is to know about something, no one field of it
_BROAD = re.compile(
    r"\b(?:information|info|details|facts|overview)\s+(?:about|on|of|for)\b"
    r"|\b(?:know|learn|tell me|find out)\s+(?:more\s+|everything\s+)?about\b",
    re.IGNORECASE,
)
_BROAD_FIELDS = 4  # a result with this many fields besides the request's own is broad
_ENOUGH = 2  # values of it a broad answer uses


def answers_broadly(trial: Trial) -> Check:
    """A request for information about something ("I would like to know information about
    the country with the ISO code 'USA'"), answered from a result of many fields, uses more
    than one of them: "United States" alone answers another question."""
    if not _BROAD.search(trial.query):
        return Check("answers_broadly", True, "the request asks for no information in general")
    answer = (trial.final_answer or "").casefold()
    stated = numbers_in(trial.final_answer or "")
    for step, value in record_results(trial):
        given = {str(leaf).casefold() for leaf in leaves(step.call.arguments)}  # type: ignore[union-attr]
        fields = {
            key: field
            for key, field in value.items()
            if not isinstance(field, (dict, list))
            and str(field).casefold() not in given
            and not (isinstance(field, str) and mentions(trial.query, field))
        }
        if any(mentions(trial.query, key.replace("_", " ")) for key in fields):
            continue  # the request names a field it wants
        if len(fields) < _BROAD_FIELDS:
            continue
        used = [
            key
            for key, field in fields.items()
            if (isinstance(field, str) and len(field) >= 2 and field.casefold() in answer)
            or (
                isinstance(field, (int, float))
                and not isinstance(field, bool)
                and any(supported(n, {float(field)}) for n in stated)  # as written or rounded
            )
        ]
        if len(used) < _ENOUGH:
            return Check(
                "answers_broadly",
                False,
                f"the request asks for information in general; the answer uses "
                f"{len(used)} of the result's {len(fields)} fields",
            )
    return Check("answers_broadly", True, "the answer uses what the result holds")


# a word the answer negates: "not inclusive", "non-vegetarian", "isn't ambiguous"
_NEGATED_BEFORE = re.compile(
    r"\b(?:not|non|isn't|aren't|wasn't|weren't|no|without|exclusive)\b[\w\s-]{0,20}$",
    re.IGNORECASE,
)


def flags_as_results(trial: Trial) -> Check:
    """A flag every result reports false (`"inclusive": false`), named by a one-word field,
    is not stated by the answer as holding ("inclusive of both days"), unless negated."""
    flags: dict[str, set[bool]] = {}
    for _, result in record_results(trial):
        for key, value in result.items():
            if isinstance(value, bool) and re.fullmatch(r"[a-z]{4,}", key):
                flags.setdefault(key, set()).add(value)
    answer = trial.final_answer or ""
    for key, values in flags.items():
        if values != {False}:
            continue
        for match in re.finditer(rf"\b{key}\b", answer, re.IGNORECASE):
            if not _NEGATED_BEFORE.search(answer[: match.start()][-30:]):
                return Check(
                    "flags_as_results",
                    False,
                    f"the answer says {key!r} where the result has {key}=false",
                )
    return Check("flags_as_results", True, "no flag a result reports false is stated")


def answered_in_users_terms(trial: Trial, tool: Tool) -> Check:
    """The answer speaks of what the user gave, not of the tool's parameters: "version_b is
    later than version_a" tells the user nothing of the versions they asked about (three
    bundled trials answered so). A parameter named in two or more words ('version_a',
    'to_unit') that the answer writes and the request does not fails."""
    answer, query = trial.final_answer or "", trial.query
    for name in tool.parameters.get("properties", {}):
        if "_" not in name.strip("_"):
            continue
        named = re.compile(rf"(?<![\w-]){re.escape(name)}(?![\w-])", re.IGNORECASE)
        if named.search(answer) and not named.search(query):
            return Check(
                "answered_in_users_terms",
                False,
                f"the answer speaks of the parameter {name!r}, not of what the user gave",
            )
    return Check("answered_in_users_terms", True, "the answer names no parameter of the tool")
