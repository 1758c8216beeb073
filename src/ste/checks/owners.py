"""A number the request gives for one parameter, by that parameter's own words ("a down
payment of $50,000"), is not passed to another (`amount=50000`).

A 1.5B explorer, asked for a loan request that named no amount, passed the down payment as
the amount in all three trials of an episode, and the extra monthly payment as the down
payment in others; every number passed is the request's, so the grounding check passes
them, and the tool answers for a loan nobody asked about.
"""

from __future__ import annotations

import re

from ste.checks.arguments import takes_number
from ste.checks.calls import successful_calls
from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.tool import Tool

# a number as a request writes it ("$50,000", "4.5"), not a part of a date or a range
_NUMBER = re.compile(r"(?<![\d.-])\$?\s?(\d[\d,]*(?:\.\d+)?)(?![\d-]*-\d)(?!/\d)")
# where the words naming a number begin: after a clause, a number, or a preposition other
# than "of" ("with | a down payment of $50,000"; "4.5% annual rate over | a 20-year term")
_CLAUSE = re.compile(
    r"[,;:.!?()]|\d|\b(?:and|over|for|with|in|at|on|per|from|during|within|after|by|to|into)\b",
    re.IGNORECASE,
)
_LINKING = {"of", "is", "a", "an", "the", "about", "around", "be", "its", "their"}


def _stems(words: list[str] | set[str]) -> set[str]:
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}


def _parts(name: str) -> set[str]:
    """A parameter's name as words: `down_payment` {down, payment}, `termMonths` {term, month}."""
    words = re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name)
    return _stems({w.casefold() for w in words if len(w) >= 3})


def _named_by(words: list[str], name: str) -> bool:
    """Whether the words before a number end with the parameter's name: the name's words
    are all among the last few, and the last is one of them or follows them ("annual
    interest rate" names `annual_rate`, "extra monthly payment" `extra_monthly`; "the month
    of December" names no `month`)."""
    parts = _parts(name)
    if not parts or not words or not parts <= _stems(words[-len(parts) - 1 :]):
        return False
    return _stems(words[-1:]) <= parts or _stems(words[-len(parts) - 1 : -1]) == parts


def numbers_to_their_parameters(trial: Trial, tool: Tool) -> Check:
    """Each number the request gives once, right after the words of one numeric parameter's
    name, is not passed by the last successful call to another numeric parameter instead."""
    calls = successful_calls(trial)
    if not calls:
        return Check("numbers_to_their_parameters", True, "no successful call")
    arguments = calls[-1].call.arguments  # type: ignore[union-attr]
    properties = tool.parameters.get("properties", {})
    numeric = [name for name, schema in properties.items() if takes_number(schema)]
    query = trial.query
    found = [(m, float(m.group(1).replace(",", ""))) for m in _NUMBER.finditer(query)]
    for match, value in found:
        if [v for _, v in found].count(value) > 1:
            continue  # which of its mentions is which: not known
        words = re.findall(r"[a-z]+", _CLAUSE.split(query[: match.start()])[-1].casefold())
        while words and words[-1] in _LINKING:
            words.pop()
        owners = [name for name in numeric if _named_by(words, name)]
        if len(owners) != 1 or _passes(arguments.get(owners[0]), value):
            continue
        unit = _stems(re.findall(r"[a-z]+", query[match.end() : match.end() + 20].casefold())[:1])
        for name, passed in arguments.items():
            if name in numeric and name != owners[0] and _passes(passed, value):
                if unit & _parts(name):
                    continue  # "for 360 months": the number's own unit names the parameter
                return Check(
                    "numbers_to_their_parameters",
                    False,
                    f"{name}={passed:g}: the request gives {match.group(0).strip()} as "
                    f"{owners[0]}, not as {name}",
                )
    return Check("numbers_to_their_parameters", True, "numbers go to the parameters they name")


def _passes(value: object, number: float) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value == number
