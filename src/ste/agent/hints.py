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
refused call again in 5 of a recipe tool's 9 dev trials. Of the other values a refusal
gives (quoted examples, a list), those that share the most words with the request are named:
told "Use an IANA time zone name ..., e.g. 'America/New_York', 'Europe/Paris'", the
explorer passed "Eastern Time Zone", "Eastern Standard Time", "Eastern Time" for a request
about New York until its turns ran out (3 of a time tool's 12 dev trials). A refused value
that is one the tool gave earlier in the trial but for its punctuation or spacing ("London
GB" after "'London' is ambiguous: 'London, CA', 'London, GB'") is shown in the tool's own
form: told the two Londons, the 1.5B explorer passed "London GB" until its turns ran out
(3 of a distance tool's 12 dev trials), the tool answering "Did you mean 'London'?". The
trial's record keeps the tool's own words.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from ste.prompts import render

__all__ = [
    "abbreviates",
    "abbreviations_hint",
    "exact_form_hint",
    "listed_values",
    "parameter_hint",
    "request_hint",
]

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


_QUOTED = re.compile(r"'([^'\n]{1,60})'|\"([^\"\n]{1,60})\"")
_TOKEN = re.compile(r"[^\W_]+")


def _stems(text: str) -> set[str]:
    """The words of `text` of three letters or more, case and a plural's "s" aside."""
    words = {w.casefold() for w in _TOKEN.findall(text) if len(w) >= 3 and not w.isdigit()}
    return {w[:-1] if w.endswith("s") and len(w) > 3 else w for w in words}


def request_hint(arguments: Mapping[str, Any], refusal: str, query: str) -> str | None:
    """The hint for a refusal that quotes a string value passed and gives other values
    (quoted examples, a list): those sharing the most words with the request ('America/
    New_York' for a request about New York); None where none shares one."""
    passed = [v for v in arguments.values() if isinstance(v, str)]
    if not any(f"'{v}'" in refusal or f'"{v}"' in refusal for v in passed):
        return None
    offered = _offered(refusal)
    asked, known = _stems(query), {v.casefold() for v in passed}
    shared = {
        value: len(_stems(value) & asked)
        for value in dict.fromkeys(offered)
        if value.casefold() not in known
    }
    best = max(shared.values(), default=0)
    if not best:
        return None
    found = [value for value, count in shared.items() if count == best][:_MAX_SHOWN]
    return render("observation_request_words", values=", ".join(f"'{v}'" for v in found))


def _offered(refusal: str) -> list[str]:
    """The values a refusal gives: quoted, or in a list."""
    return [q for m in _QUOTED.finditer(refusal) for q in m.groups() if q] + listed_values(refusal)


def _spelled(value: str) -> tuple[str, ...]:
    return tuple(w.casefold() for w in _TOKEN.findall(value))


def exact_form_hint(arguments: Mapping[str, Any], refusal: str, earlier: list[str]) -> str | None:
    """The hint for a refusal that quotes a string value passed which a message of the
    trial (`earlier` ones, or this one) gave in another form, the same words with other
    punctuation or spacing ('London GB' for 'London, GB'); None otherwise."""
    for value in arguments.values():
        if not isinstance(value, str) or len(_spelled(value)) < 2:
            continue
        if f"'{value}'" not in refusal and f'"{value}"' not in refusal:
            continue
        for message in [*earlier, refusal]:
            for offered in _offered(message):
                if offered != value and _spelled(offered) == _spelled(value):
                    return render("observation_exact_form", value=value, offered=offered)
    return None
