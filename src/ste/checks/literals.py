"""Checks on the literal values of a trial: a date the request writes out reaches the call,
and a result holds something the call did not pass.

A request that names a date ("Convert 350 US dollars to JPY on 2026-12-07") answered by a
call that leaves the date out (the latest rates: 2025-03-26) answers another request,
and the example would teach a caller to drop the date the user gave. Dates written as
ISO 8601 ('2026-12-07') are read without doubt; each must be in some successful call's
arguments (in a value of its own, or within a longer one: "2026-12-05 19:00"). Dates in
words ("July 15, 2023") are left to the judge: a call writes them in another form.
"""

from __future__ import annotations

import json
import re

from ste.checks.arguments import successful_calls
from ste.checks.verdict import Check
from ste.outcome import leaves
from ste.records import Trial
from ste.tools.tool import Tool

__all__ = ["computes_something", "dates_passed"]

_ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")


def dates_passed(trial: Trial, tool: Tool) -> Check:
    """Every ISO 8601 date the request writes is passed by some successful call."""
    dates = list(dict.fromkeys(_ISO_DATE.findall(trial.query)))
    calls = successful_calls(trial)
    if not dates or not calls:
        return Check("dates_passed", True, "no date written out, or no successful call")
    passed = " ".join(
        json.dumps(step.call.arguments, ensure_ascii=False)  # type: ignore[union-attr]
        for step in calls
    )
    missing = [date for date in dates if date not in passed]
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
