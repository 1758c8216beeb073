"""Checks on the literal values of a trial: a date the request writes out reaches the call,
and a result holds something the call did not pass.

A request that names a date ("Convert 350 US dollars to JPY on 2026-12-07") answered by a
call that leaves the date out (the latest rates: 2025-03-26) answers another request,
and the example would teach a caller to drop the date the user gave. Dates written as
ISO 8601 ('2026-12-07') or in words with their year ("July 15, 2023") are read without
doubt; each must be in some successful call's arguments, as an ISO date or as the request
writes it (in a value of its own, or within a longer one: "2026-12-05 19:00"). A date in
words without its year is left to the judge: the call's year is a choice.
"""

from __future__ import annotations

import json
import re

from ste.checks.arguments import grounded_number, request_numbers
from ste.checks.calls import successful_calls
from ste.checks.numbers import written_dates
from ste.checks.verdict import Check
from ste.outcome import ISO_DATE, leaves
from ste.records import Step, Trial
from ste.tools.tool import Tool

__all__ = [
    "answer_not_echoed",
    "computes_something",
    "dates_passed",
    "grouping_kept",
    "identifiers_given",
]


def dates_passed(trial: Trial, tool: Tool) -> Check:
    """Every ISO 8601 date the request writes is passed by some successful call."""
    dates = {d: d for d in ISO_DATE.findall(trial.query)}
    dates |= {said: day.isoformat() for said, day in written_dates(trial.query)}
    calls = successful_calls(trial)
    if not dates or not calls:
        return Check("dates_passed", True, "no date written out, or no successful call")
    passed = " ".join(
        json.dumps(step.call.arguments, ensure_ascii=False)  # type: ignore[union-attr]
        for step in calls
    )
    missing = [said for said, day in dates.items() if day not in passed and said not in passed]
    if missing:
        return Check(
            "dates_passed",
            False,
            f"the request names the date {missing[0]}; no successful call passed it",
        )
    return Check("dates_passed", True, "each date the request writes out was passed")


def _echoes(arguments: dict[str, object], observation: str) -> bool:
    """Whether the result holds nothing but values the call passed (`{"result": 5}` for the
    expression "5"): the tool computed nothing, so the answer is not the tool's."""
    try:
        result = json.loads(observation)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return False
    given = {str(leaf).strip().casefold() for leaf in leaves(arguments)}
    held = [leaf for leaf in leaves(result) if leaf is not None]
    return bool(held) and all(
        str(leaf).strip().casefold() in given
        or (isinstance(leaf, int | float) and f"{leaf:g}" in given)
        for leaf in held
    )


def computes_something(trial: Trial, tool: Tool) -> Check:
    """Some successful call's result holds a value the call did not pass: where every result
    only echoes its arguments (an expression "5" for "the average of the squares of the first
    five numbers", evaluated as 5), the answer comes from the model, not the tool."""
    calls = successful_calls(trial)
    if not calls or not all(
        _echoes(step.call.arguments, step.observation or "")  # type: ignore[union-attr]
        for step in calls
    ):
        return Check("computes_something", True, "a result holds what the call did not pass")
    shown = json.dumps(calls[-1].call.arguments, ensure_ascii=False)[:80]  # type: ignore[union-attr]
    return Check(
        "computes_something",
        False,
        f"the result only repeats what the call passed ({shown}): nothing the tool computed",
    )


def answer_not_echoed(trial: Trial) -> Check:
    """The final answer is more than a value the call passed: "9780306406157" for "I'm
    reading an ISBN ... The ISBN is 9780306406157." says nothing the tool found."""
    answer = (trial.final_answer or "").strip().strip("\"'`.").strip().casefold()
    for step in successful_calls(trial):
        passed = {str(v).strip().casefold() for v in leaves(step.call.arguments)}  # type: ignore[union-attr]
        if answer and answer in passed:
            return Check(
                "answer_not_echoed",
                False,
                f"the answer {answer[:40]!r} only repeats a value the call passed",
            )
    return Check("answer_not_echoed", True, "the answer says more than the call passed")


# an identifier a call may invent: a URL, an address, a code, a number written with marks
_IDENTIFIER = re.compile(r"^\S*\d\S*$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_DATETIME = re.compile(
    r"^(?:\d{4}-\d{2}-\d{2})?[T ]?(?:\d{1,2}:\d{2}(?::\d{2})?(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?$"
)


def made_up_identifiers(trial: Trial) -> list[tuple[Step, str, str, str]]:
    """The one-word values with digits in them that successful calls pass and neither the
    request nor an earlier result gives: (the call's step, the parameter, the value, the
    number in it that nobody gave). See `identifiers_given`."""
    seen = trial.query.replace(",", "")
    known = request_numbers(trial.query)
    made_up = []
    for step in trial.call_steps:
        if step.call is not None and step.tool_ok is True:
            for name, value in step.call.arguments.items():
                text = value.strip() if isinstance(value, str) else ""
                if not _IDENTIFIER.match(text) or len(text) < 4 or _DATETIME.match(text):
                    continue
                missing = [
                    n
                    for n in _NUMBER.findall(text)
                    if len(n.replace(".", "")) >= 2
                    and n not in seen
                    and not (len(n) >= 6 and n in re.sub(r"\D", "", seen))  # 978-0-306-...
                    and not grounded_number(float(n), known)
                ]
                if missing:
                    made_up.append((step, name, value, missing[0]))
        seen += " " + (step.observation or "")
    return made_up


def identifiers_given(trial: Trial) -> Check:
    """A one-word value with digits in it that a successful call passes (a URL, a CIDR
    block, an ISBN, a color code) comes from the request or an earlier result: for "check
    whether an ISBN is valid, please provide it", the call's '9780306406157' is the model's
    own, and the example answers a request nobody wrote. Each number of two digits or more
    in it is the request's (as written, in words, converted: `request_numbers`) or in the
    text of the request or an earlier result; dates and clock times are left out (a call
    writes "December 5, 2026, at midnight" as '2026-12-05T00:00:00Z')."""
    for _step, name, value, missing in made_up_identifiers(trial):
        return Check(
            "identifiers_given",
            False,
            f"{name}={value[:60]!r}: its {missing} is in neither the request "
            "nor an earlier result (a value the model made up)",
        )
    return Check("identifiers_given", True, "every identifier passed comes from the request")


# an arithmetic expression written in a request, with its brackets: "(2 * 3 + 1) * 4 ** 2"
_EXPRESSION = re.compile(r"[\d(][\d\s.+\-*/^%()×÷]*[\d)]")


def grouping_kept(trial: Trial) -> Check:
    """A call that passes an expression the request writes with brackets keeps them: "(2 *
    3 + 1) * 4 ** 2" passed as "2 * 3 + 1 * 4 ** 2" computes another number (two dev trials
    did, each answered with the wrong result)."""
    written = [e for e in _EXPRESSION.findall(trial.query) if "(" in e and re.search(r"[-+*/^]", e)]
    if not written:
        return Check("grouping_kept", True, "the request writes no bracketed expression")
    wanted = max(e.count("(") for e in written)
    passed = [
        value
        for step in successful_calls(trial)
        for value in leaves(step.call.arguments)  # type: ignore[union-attr]
        if isinstance(value, str) and re.search(r"\d\s*[-+*/^]", value)
    ]
    if passed and all(value.count("(") < wanted for value in passed):
        return Check(
            "grouping_kept",
            False,
            f"the request writes {max(written, key=len).strip()!r}; the call passed "
            f"{passed[-1]!r}, without its brackets",
        )
    return Check("grouping_kept", True, "the call keeps the request's brackets")
