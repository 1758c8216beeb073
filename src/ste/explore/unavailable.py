"""Values a tool does not hold: a request that names one again can never be fulfilled.

A tool that looks things up in its own data refuses a value it does not hold ("Unknown
ingredient 'beans'. Ingredient names are lowercase and singular, e.g. 'tomato'"). A small
explorer that met such a refusal keeps imagining requests about it: a dev exploration asked a
recipe tool for beans in 8 of its 9 trials, and no call of those 8 succeeded. So a new
request that names such a value is asked again, told what the tool said
(`ste.explore.imagine.imagine`), and one still naming it is not tried.

A value counts as not held when a call passing it, for a request that names it, was refused
in words that quote it, and no call of that trial succeeded; not when the refusal lists a
value that abbreviates it ("Unknown unit 'miles'. Accepted unit codes - ... mi": a format,
not a gap), nor when it is the name of one of the tool's parameters or a value of an enum
(a value passed to the wrong parameter), and no longer once a successful call passed it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ste.agent.hints import abbreviates, listed_values
from ste.checks.arguments import mentions
from ste.records import Trial
from ste.tools.tool import Tool

_SPACES = re.compile(r"\s+")


_QUOTED = re.compile(r"'([^']+)'|\"([^\"]+)\"")


def _first_quoted(message: str, values: list[str]) -> str | None:
    """The value among `values` that the message quotes first: the one it refuses
    ("Unknown time zone 'EST' ... e.g. 'UTC'" refuses EST, not the UTC also passed)."""
    for single, double in _QUOTED.findall(message):
        if (quoted := single or double) in values:
            return quoted
    return None


# a refusal that says how to write the value ("Use an IANA time zone name ... e.g.
# 'America/New_York'", "Qualify to_city as 'City, CC'", "the United Kingdom is 'GB'"): a
# format, not a gap
_HOW_TO_WRITE = re.compile(r"\b(?:use|write|qualify|format)\b|\b(?:is|are)\s+['\"]", re.I)


def _written_otherwise(value: str, message: str) -> bool:
    """Whether the message names a form of `value` the tool takes: says how to write it, or
    lists or quotes a value that abbreviates it ('mi' for 'miles') or holds it ('London, GB'
    for 'London')."""
    if _HOW_TO_WRITE.search(message):
        return True
    forms = listed_values(message) + [a or b for a, b in _QUOTED.findall(message)]
    word = re.compile(rf"(?<!\w){re.escape(value.casefold())}(?!\w)")
    return any(
        abbreviates(form, value) or (form != value and word.search(form.casefold()))
        for form in forms
    )


def _tool_words(tool: Tool) -> set[str]:
    """The tool's parameter names and enum values, as a request may write them."""
    words = set()
    for name, schema in tool.parameters.get("properties", {}).items():
        words.add(name.replace("_", " ").casefold())
        for choice in schema.get("enum", []) if isinstance(schema, dict) else []:
            words.add(str(choice).replace("_", " ").casefold())
    return words


def refused_values(trial: Trial, tool: Tool) -> dict[str, str]:
    """The values `trial` found the tool does not hold: {value: the refusal's words}."""
    if trial.call_succeeded or not trial.query:
        return {}
    known = _tool_words(tool)
    refused: dict[str, str] = {}
    for step in trial.all_call_steps:
        if step.tool_ok is not False or step.error_kind != "tool_error" or step.call is None:
            continue
        message = _SPACES.sub(" ", step.observation or "").strip()
        passed = [v for v in step.call.arguments.values() if isinstance(v, str) and v.strip()]
        value = _first_quoted(message, passed)
        if value is None or value.replace("_", " ").casefold() in known:
            continue
        if mentions(trial.query, value) and not _written_otherwise(value, message):
            refused.setdefault(value, message[:300])
    return refused


def passed_values(trial: Trial) -> set[str]:
    """The string values the trial's successful calls passed (casefolded)."""
    return {
        value.casefold()
        for step in trial.all_call_steps
        if step.tool_ok and step.call is not None
        for value in step.call.arguments.values()
        if isinstance(value, str)
    }


def names_unavailable(query: str, unavailable: Mapping[str, str]) -> tuple[str, str] | None:
    """(the value, what the tool said of it) for a request that names a value the tool does
    not hold; None otherwise."""
    for value, said in unavailable.items():
        if mentions(query, value):
            return value, said
    return None
