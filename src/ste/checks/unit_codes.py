"""A unit the request names is the unit the call passes: "3 miles to feet" sent as
`from_unit="m"` converts 3 metres, and the tool answers without complaint."""

from __future__ import annotations

import re

from ste.checks.calls import successful_calls
from ste.checks.scales import _UNIT_OF, _UNIT_WORDS
from ste.checks.verdict import Check
from ste.records import Trial

Unit = tuple[str, str]  # (dimension, unit)

# short codes tools take for units, beside the words of `_UNIT_WORDS`; a code that means a
# unit of more than one dimension ('m': metre or minute) is read by the request's dimension
_CODES: dict[str, tuple[Unit, ...]] = {
    "m": (("length", "metre"), ("time", "minute")),
    "mi": (("length", "mile"),),
    "in": (("length", "inch"),),
    "g": (("mass", "gram"),),
    "s": (("time", "second"),),
    "h": (("time", "hour"),),
    "d": (("time", "day"),),
}
_WORDS = "|".join(sorted(_UNIT_OF, key=len, reverse=True))
_NAMED = re.compile(rf"(?<![\w-])({_WORDS})(?![\w-])", re.IGNORECASE)
# a code written as a unit: after a number ("3 m", "5mi") or quoted ("'m'")
_CODE_NAMES = "|".join(map(re.escape, _CODES))
_WRITTEN_CODE = re.compile(
    rf"\d\s*({_CODE_NAMES})(?![\w-])|(?<!\w)['\"`]({_CODE_NAMES})['\"`]", re.IGNORECASE
)


def _meanings(value: str) -> tuple[Unit, ...]:
    said = value.strip()
    if said.casefold() in _UNIT_OF:
        return (_UNIT_OF[said.casefold()],)
    return _CODES.get(said.casefold(), ())


def units_named(query: str) -> set[Unit]:
    """The units a request names, in words ("miles", "kg") or as codes next to a number."""
    named = {_UNIT_OF[word.casefold()] for word in _NAMED.findall(query)}
    dimensions = {dimension for dimension, _ in named}
    for after_number, quoted in _WRITTEN_CODE.findall(query):
        meanings = _CODES[(after_number or quoted).casefold()]
        # "3 m to ft": metres, by the other unit's kind (minutes where no other decides)
        named.update([m for m in meanings if m[0] in dimensions] or meanings)
    return named


def units_not_asked(trial: Trial) -> list[tuple[str, str, Unit]]:
    """(parameter, value, the unit it means) for each unit a successful call passes as a
    string, of a kind the request names units of, that the request does not name."""
    named = units_named(trial.query)
    dimensions = {dimension for dimension, _ in named}
    found = []
    for step in successful_calls(trial):
        for name, value in step.call.arguments.items():  # type: ignore[union-attr]
            if not isinstance(value, str):
                continue
            meant = [unit for unit in _meanings(value) if unit[0] in dimensions]
            if len(meant) == 1 and meant[0] not in named:
                found.append((name, value, meant[0]))
    return found


def unit_codes_as_asked(trial: Trial) -> Check:
    """A call passes a unit as a string (a code or a word) of a kind whose units the
    request names, and the request does not name it: "100 cm to kilometers" sent with
    `to_unit="m"`. A code the vocabulary does not know ('nmi', 'degC') is not judged."""
    not_asked = units_not_asked(trial)
    if not not_asked:
        return Check("unit_codes_as_asked", True, "every unit passed is one the request names")
    name, value, (dimension, unit) = not_asked[0]
    named = units_named(trial.query)
    words = ", ".join(_UNIT_WORDS[dimension][u][1] for d, u in sorted(named) if d == dimension)
    return Check(
        "unit_codes_as_asked",
        False,
        f"{name}={value!r} is {unit}s; the request names {words} and no {unit}s",
    )
