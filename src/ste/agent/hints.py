"""What ste adds to a tool's refusal that lists the values it accepts: those of them that
abbreviate the value it refused.

Tools that take codes refuse a word with a long list: "Unknown unit 'liter' for from_unit.
Accepted unit codes - length: mm, cm, m, km, ...; volume: ml, l, gal, ...". A small model
reads past the code it needs and passes "liter" or "litre" until its turns run out (three
dev trials of a unit tool ended so, each with four refused calls). The listed codes that
abbreviate the refused word (their letters in its order, from its first: "l" for
"liter", "km" for "kilometer", "char_count" for "character_count") are named after the
message. A refused value that is the name of another of the tool's parameters
("vegetarian" passed as a cuisine, where the tool has a `vegetarian` flag: a recipe tool's
explorer did so in most of its refused calls, then swapped in a cuisine nobody asked for)
is told so; where that parameter is a flag (a boolean), with the call to make instead (the
refused argument out, the flag set): told only to set it, the 1.5B explorer passed the same
refused call again in 5 of a recipe tool's 9 dev trials. The trial's record keeps the
tool's own words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ste.prompts import render

__all__ = ["abbreviates", "abbreviations_hint", "listed_values", "parameter_hint"]

_LIST = re.compile(r"(?:[\w./+-]+\s*,\s*){2,}[\w./+-]+")
_WORD = re.compile(r"[^\W\d]{4,}")
_MAX_SHOWN = 3


def abbreviates(code: str, word: str) -> bool:
    """Whether `code` is shorter than `word` and its letters appear in `word` in order,
    from its first letter (case aside)."""
    code, word = code.casefold(), word.casefold()
    if not code or len(code) >= len(word) or code[0] != word[0]:
        return False
    rest = iter(word)
    return all(letter in rest for letter in code)


def listed_values(refusal: str) -> list[str]:
    """The values a refusal lists ("Accepted unit codes - length: mm, cm, m, km, ...")."""
    return [v.strip() for found in _LIST.findall(refusal) for v in found.split(",")]


def abbreviations_hint(arguments: Mapping[str, Any], refusal: str) -> str | None:
    """The hint for a refusal that lists values and quotes a refused argument, naming the
    listed values that abbreviate it (the longer ones, where a one-letter value would only
    share its first letter); None where none does."""
    listed = listed_values(refusal)
    if not listed:
        return None
    for value in arguments.values():
        # a word, not a compound ("km/h" is no length, "cm³" no "cm") or a phrase
        if not isinstance(value, str) or not _WORD.fullmatch(value):
            continue
        if f"'{value}'" not in refusal and f'"{value}"' not in refusal:
            continue
        if value in listed:
            continue
        found = list(dict.fromkeys(v for v in listed if abbreviates(v, value)))
        longer = [v for v in found if len(v) > 1]
        found = (longer or found)[:_MAX_SHOWN]
        if found:
            return render("observation_abbreviations", value=value, codes=", ".join(found))
    return None


def _name(text: str) -> str:
    return re.sub(r"[\s_-]+", " ", text.strip().casefold())


def _is_flag(schema: Mapping[str, Any]) -> bool:
    """A boolean parameter: `"boolean"`, `["boolean", "null"]` or an `anyOf` holding one."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    nested = [s.get("type") for s in schema.get("anyOf", []) if isinstance(s, Mapping)]
    return "boolean" in kinds + nested


def parameter_hint(
    arguments: Mapping[str, Any], refusal: str, parameters: Mapping[str, Any]
) -> str | None:
    """The hint for a refusal that quotes a value passed to one parameter which is the name
    of another parameter of the tool; None otherwise."""
    names = {_name(n): n for n in parameters.get("properties", {})}
    for passed, value in arguments.items():
        if not isinstance(value, str) or not value.strip():
            continue
        if f"'{value}'" not in refusal and f'"{value}"' not in refusal:
            continue
        other = names.get(_name(value))
        if other is None or other == passed:
            continue
        told = render("observation_value_is_parameter", value=value, passed=passed, other=other)
        if _is_flag(parameters["properties"][other]):
            instead = {k: v for k, v in arguments.items() if k != passed} | {other: True}
            told += " " + render("observation_flag_call", call=json.dumps(instead))
        return told
    return None
