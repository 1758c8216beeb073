"""Rule checks on numbers a parameter takes on a stated scale, in a unit or as a bound: a
percentage passed as a fraction to a rate "in percent", "30 years" passed as 30 to
`term_months`, a lower bound ("over 30 minutes") passed as an upper one (`max_minutes`).
The tool answers either way, so neither an error nor the answer's numbers show the mistake.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ste.checks.arguments import ANY_NUMBER
from ste.checks.calls import successful_calls
from ste.checks.numbers import NUMBER_WORDS, PERCENT, plain_numbers
from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.tool import Tool

# a parameter that takes a share of one: "as a fraction", "0.065 for 6.5 %", "between 0 and 1"
_TAKES_FRACTION = re.compile(
    r"\b(?:fraction|proportion|ratio)\b|\bdecimal (?:form|fraction|share)\b|\bbetween 0 and 1\b"
    r"|\b0\.\d+\s+(?:for|=|means)\s+\d+(?:\.\d+)?\s*(?:%|per\s?cent)",
    re.IGNORECASE,
)
_TAKES_PERCENT = re.compile(r"\bper\s?cent(?:age)?\b|%", re.IGNORECASE)


def _numbers_passed(trial: Trial) -> Iterator[tuple[str, int | float]]:
    """(parameter, number) for each number the trial's successful calls pass."""
    for step in successful_calls(trial):
        for name, value in step.call.arguments.items():  # type: ignore[union-attr]
            if isinstance(value, int | float) and not isinstance(value, bool):
                yield name, value


def _plain(number: float) -> int | float:
    """360.0 as 360: a whole number is passed as one."""
    return int(number) if float(number).is_integer() else number


def takes(schema: dict[str, Any]) -> str | None:
    """The scale a number parameter's description states: "fraction", "percent" or None."""
    description = schema.get("description", "")
    if _TAKES_FRACTION.search(description):
        return "fraction"
    if _TAKES_PERCENT.search(description):
        return "percent"
    return None


def scaled_as_described(trial: Trial, tool: Tool) -> Check:
    """A percentage the request gives ("at 4.5%") is passed on the scale the parameter's
    description states: 4.5 to a parameter "in percent", 0.045 to one that takes a
    fraction. Passed on the other scale, the tool still answers (a 200,000 loan at 0.045 %
    costs 1,357 in interest), so neither an error nor the answer's numbers show the mistake."""
    percents = {float(n) for n in PERCENT.findall(trial.query.replace(",", ""))}
    if not percents:
        return Check("scaled_as_described", True, "the request gives no percentage")
    properties = tool.parameters.get("properties", {})
    for name, value in _numbers_passed(trial):
        scale = takes(properties.get(name, {}))
        wrong = {
            "percent": {p / 100 for p in percents} - percents,
            "fraction": {p for p in percents if p > 1},
        }.get(scale or "", set())
        for w in wrong:
            if abs(value - w) <= 1e-9 * max(1.0, abs(w)):
                right = round(w * 100, 6) if scale == "percent" else round(w / 100, 8)
                return Check(
                    "scaled_as_described",
                    False,
                    f"{name}={value:g}: the request gives a percentage and {name} takes a "
                    f"{'percent' if scale == 'percent' else 'fraction'}",
                    fix={name: _plain(right)},
                )
        if scale is None and (share := _share_as_amount(trial.query, percents, value)):
            percent, base = share
            amount = round(percent / 100 * base, 6)
            return Check(
                "scaled_as_described",
                False,
                f"{name}={value:g}: the request gives {percent:g}% and {name} takes neither a "
                f"percent nor a fraction ({percent:g}% of {base:g} is {amount:g})",
                fix={name: _plain(amount)},
            )
    return Check("scaled_as_described", True, "percentages on the scale the parameters state")


def _share_as_amount(query: str, percents: set[float], value: float) -> tuple[float, float] | None:
    """The percentage passed as its fraction (25% as 0.25) to a parameter that takes an
    amount, with the request's largest other number, the amount it is a share of ("25% down
    on a $100,000 price" is 25,000, not 0.25)."""
    others = plain_numbers(query)
    for percent in percents:
        base = max((n for n in others if n > 100 and n != percent), default=None)
        if base is not None and 0 < value < 1 and abs(value - percent / 100) <= 1e-9:
            return percent, base
    return None


# "no more than 30" is an upper bound: "more than" read alone would make it a lower one
_NOT = r"(?<!\bno )(?<!\bnot )"
_AT_LEAST = re.compile(
    rf"\b{_NOT}(?:over|more than|at least|above|longer than|greater than|exceeding|no less than"
    r"|minimum of|min\.?)\s*$",
    re.IGNORECASE,
)
_AT_MOST = re.compile(
    rf"\b{_NOT}(?:under|less than|at most|below|within|shorter than|up to|no more than|maximum of"
    r"|max\.?)\s*$",
    re.IGNORECASE,
)


def bound(name: str, schema: dict[str, Any]) -> str | None:
    """ "max" for a parameter that is an upper bound (`max_minutes`, "Maximum total time"),
    "min" for a lower bound, else None."""
    parts = set(name.casefold().replace("-", "_").split("_"))
    description = schema.get("description", "").casefold()
    if "max" in parts or "maximum" in parts or description.startswith("maximum"):
        return "max"
    if "min" in parts or "minimum" in parts or description.startswith("minimum"):
        return "min"
    return None


def bounds_as_asked(trial: Trial, tool: Tool) -> Check:
    """A number the request gives as a lower bound ("over 30 minutes") is not passed as an
    upper one (`max_minutes=30`), nor the other way round: the tool answers either way."""
    calls = successful_calls(trial)
    if not calls:
        return Check("bounds_as_asked", True, "no successful call")
    properties = tool.parameters.get("properties", {})
    for name, value in calls[-1].call.arguments.items():  # type: ignore[union-attr]
        kind = bound(name, properties.get(name, {}))
        if kind is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        wrong = _AT_LEAST if kind == "max" else _AT_MOST
        for match in ANY_NUMBER.finditer(trial.query):
            before = wrong.search(trial.query[: match.start()])
            if before and float(match.group()) == float(value):
                said = f"{before.group(0).strip()} {match.group()}"
                limit = "maximum" if kind == "max" else "minimum"
                return Check(
                    "bounds_as_asked",
                    False,
                    f"the request says {said!r}, the call {name}={value:g} (a {limit})",
                )
    return Check("bounds_as_asked", True, "bounds as the request gives them")


# unit words by dimension: a number in one unit copied into a parameter of another
_UNIT_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "time": {
        "second": ("second", "seconds", "sec", "secs"),
        "minute": ("minute", "minutes", "min", "mins"),
        "hour": ("hour", "hours", "hr", "hrs"),
        "day": ("day", "days"),
        "week": ("week", "weeks"),
        "month": ("month", "months"),
        "year": ("year", "years", "yr", "yrs"),
    },
    "mass": {
        "milligram": ("milligram", "milligrams", "mg"),
        "gram": ("gram", "grams", "grammes"),
        "kilogram": ("kilogram", "kilograms", "kg", "kilo", "kilos"),
        "pound": ("pound", "pounds", "lb", "lbs"),
        "ounce": ("ounce", "ounces", "oz"),
    },
    "length": {
        "millimetre": ("millimetre", "millimetres", "millimeter", "millimeters", "mm"),
        "centimetre": ("centimetre", "centimetres", "centimeter", "centimeters", "cm"),
        "metre": ("metre", "metres", "meter", "meters"),
        "kilometre": ("kilometre", "kilometres", "kilometer", "kilometers", "km"),
        "mile": ("mile", "miles"),
        "foot": ("foot", "feet", "ft"),
        "inch": ("inch", "inches"),
        "yard": ("yard", "yards", "yd"),
    },
}
# each unit in its dimension's base unit (seconds, grams, metres), where the factor is exact;
# months and years convert only into each other (a month has no fixed number of days)
_FACTOR: dict[str, float] = {
    "second": 1, "minute": 60, "hour": 3600, "day": 86400, "week": 604800,
    "month": 1, "year": 12,
    "milligram": 0.001, "gram": 1, "kilogram": 1000, "pound": 453.59237, "ounce": 28.349523125,
    "millimetre": 0.001, "centimetre": 0.01, "metre": 1, "kilometre": 1000, "mile": 1609.344,
    "foot": 0.3048, "inch": 0.0254, "yard": 0.9144,
}  # fmt: skip
_CALENDAR = {"month", "year"}


def converted(number: float, unit: str, into: str) -> float | None:
    """`number` `unit`s in `into`s (30 years: 360 months), or None where no exact factor
    converts them (years into days)."""
    if (unit in _CALENDAR) != (into in _CALENDAR):
        return None
    return round(number * _FACTOR[unit] / _FACTOR[into], 4)


_UNIT_OF = {
    word: (dimension, unit)
    for dimension, units in _UNIT_WORDS.items()
    for unit, words in units.items()
    for word in words
}
_UNIT_NAMES = "|".join(sorted(_UNIT_OF, key=len, reverse=True))
# a number with its unit, in digits or in words ("30 years", "five weeks", "a dozen eggs")
_SPOKEN = "|".join(word for word in [*NUMBER_WORDS, "one"] if word not in ("half", "hundred"))
_STATED = re.compile(
    rf"(?<![\w.])(\d+(?:\.\d+)?|{_SPOKEN})\s*-?\s*({_UNIT_NAMES})\b", re.IGNORECASE
)
# a request for a result in two units: "to feet and inches", "in hours and minutes"
_TWO_UNITS = re.compile(
    rf"\b(?:to|in|into)\s+({_UNIT_NAMES})\s+and\s+({_UNIT_NAMES})\b", re.IGNORECASE
)
_IN_UNIT = re.compile(r"\b(?:in|as|of)\s+(" + "|".join(_UNIT_OF) + r")\b", re.IGNORECASE)
# the unit a request asks its result in ("in miles squared", "to square kilometers")
_ASKED_IN = re.compile(
    rf"\b(?:in|into|to)\s+(?:square\s+|cubic\s+)?({_UNIT_NAMES})\b", re.IGNORECASE
)
_QUANTITY = re.compile(
    rf"(?<![\w.])\d[\d,]*(?:\.\d+)?\s*(?:square\s+|cubic\s+)?({_UNIT_NAMES})\b", re.IGNORECASE
)


def unit_of(name: str, schema: dict[str, Any]) -> tuple[str, str] | None:
    """(dimension, unit) a number parameter takes, from its name (`term_months`,
    `max_minutes`, `weight_kg`) or its description ("Loan term in months")."""
    for part in re.split(r"[_\W]+|(?<=[a-z])(?=[A-Z])", name):
        if part.casefold() in _UNIT_OF:
            return _UNIT_OF[part.casefold()]
    described = _IN_UNIT.search(schema.get("description", ""))
    return _UNIT_OF[described.group(1).casefold()] if described else None


def _number(said: str) -> float:
    """A stated number, in digits or in words ("five": 5)."""
    return NUMBER_WORDS.get(said.casefold(), 1.0) if said[0].isalpha() else float(said)


def units_as_asked(trial: Trial, tool: Tool) -> Check:
    """A number the request gives in one unit is not passed unconverted to a parameter that
    takes another unit of the same kind ("over 30 years" as `term_months=30`): the tool
    answers, for a 30-month loan."""
    stated = [
        (_number(number), _UNIT_OF[word.casefold()], f"{number} {word}")
        for number, word in _STATED.findall(trial.query.replace(",", ""))
    ]
    if not stated:
        return Check("units_as_asked", True, "the request gives no number with a unit")
    properties = tool.parameters.get("properties", {})
    for name, value in _numbers_passed(trial):
        takes_unit = unit_of(name, properties.get(name, {}))
        if takes_unit is None:
            continue
        for number, (dimension, unit), said in stated:
            if (dimension, number) == (takes_unit[0], float(value)) and unit != takes_unit[1]:
                into = takes_unit[1]
                right = converted(number, unit, into)
                shown = f" ({said} is {right:g} {into}s)" if right is not None else ""
                return Check(
                    "units_as_asked",
                    False,
                    f"{name}={value:g}: the request says {said!r} and {name} takes {into}s" + shown,
                    fix={name: _plain(right)} if right is not None else {},
                )
    return Check("units_as_asked", True, "numbers in the units the parameters take")


def _plural(dimension: str, unit: str) -> str:
    return _UNIT_WORDS[dimension][unit][1]  # "feet", "inches", "kilometres"


def units_answered(trial: Trial) -> Check:
    """A request for a result in two units ("10 meters to feet and inches") is answered in
    both: 32.8084 feet alone answers half of it. A result asked in one length or mass unit
    is not answered only in another ("the area in miles squared": 551,695 square
    kilometers; a time is not compared: "in 5 days" asks for no unit)."""
    answer = trial.final_answer or ""
    given = {_UNIT_OF[word.casefold()] for word in _QUANTITY.findall(answer)}
    for word in _ASKED_IN.findall(trial.query):
        dimension, unit = _UNIT_OF[word.casefold()]
        others = sorted(u for d, u in given if d == dimension)
        if dimension in ("length", "mass") and others and unit not in others:
            return Check(
                "units_answered",
                False,
                f"the request asks for the result in {_plural(dimension, unit)}; the answer "
                f"gives {' and '.join(_plural(dimension, u) for u in others)} only",
            )
    for match in _TWO_UNITS.finditer(trial.query):
        for word in match.groups():
            dimension, unit = _UNIT_OF[word.casefold()]
            forms = "|".join(map(re.escape, _UNIT_WORDS[dimension][unit]))
            if not re.search(rf"\b(?:{forms})\b", answer, re.IGNORECASE):
                return Check(
                    "units_answered",
                    False,
                    f"the request asks for a result {match.group(0)!r}; the answer gives "
                    f"no {_plural(dimension, unit)}",
                )
    return Check("units_answered", True, "the answer gives every unit the request asks for")
