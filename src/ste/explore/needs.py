"""The values an imagined request must give: one for each input the tool cannot do without.

A small explorer imagines requests that leave out what the tool needs, then calls the tool
with values it made up: on the dev bench the 1.5B model's loan requests gave a rate, a term
and a down payment but never the amount (12 trials, none kept), and its time-zone requests
asked for "the current time", which a tool converting a given time cannot give (9 trials,
none kept). No call can make such a trial right. So the imagination prompt names the
inputs a request must give (the tool's required parameters, by their descriptions), and a
request that plainly lacks one is asked for once more (`lacking`): fewer numbers than the
tool's required numbers, no time of day for a required time, no date for a required date.
"""

from __future__ import annotations

import re
from typing import Any

from ste.checks.arguments import ANY_NUMBER
from ste.checks.numbers import MONTH_NAME
from ste.tools.tool import Tool

_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|thousand|million|billion|dozen|half|a quarter|single|double|twice"
)
_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
# a year or month said relatively, which the model reads from the date it is told
_RELATIVE = re.compile(r"\b(?:this|next|last|current|coming)\s+(?:year|month)\b", re.IGNORECASE)
_CLOCK_TIME = re.compile(
    r"\b\d{1,2}:\d\d\b|\b\d{1,2}\s*[ap]\.?m\b|\bnoon\b|\bmidnight\b|\bo'clock\b", re.IGNORECASE
)
_DAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
_DATE = re.compile(
    rf"\b\d{{4}}-\d\d?-\d\d?\b|\b\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?\b|\b{MONTH_NAME}\.?\s+\d"
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{MONTH_NAME}\b|\b(?:{_DAYS})\b"
    r"|\b(?:today|tomorrow|yesterday|tonight|now)\b|\b(?:next|last|this)\s+(?:week|month|year)\b",
    re.IGNORECASE,
)
_TIME_FORM = re.compile(r"HH:MM|hh:mm|\b24-hour\b|\btime of day\b|\bwall-clock\b", re.IGNORECASE)
_DATE_FORM = re.compile(r"YYYY-MM-DD|yyyy-mm-dd|\bcalendar date\b", re.IGNORECASE)


def required_inputs(tool: Tool) -> list[tuple[str, dict[str, Any]]]:
    """The tool's required parameters without a default: (name, schema), in schema order."""
    properties = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    return [
        (name, schema if isinstance(schema, dict) else {})
        for name, schema in properties.items()
        if name in required and not (isinstance(schema, dict) and "default" in schema)
    ]


def _described(name: str, schema: dict[str, Any]) -> str:
    described = str(schema.get("description", "")).strip()
    return described or name.replace("_", " ")


def needs_list(tool: Tool) -> str:
    """The inputs a request must give, one line each, by their descriptions ("" if none)."""
    return "\n".join(f"- {_described(n, s)}" for n, s in required_inputs(tool))


def _kind(schema: dict[str, Any]) -> str:
    """'number', 'time', 'date' or '' (no plain test of a request for it)."""
    if schema.get("enum"):
        return ""  # a choice: said in the request's own words
    kinds = schema.get("type")
    kinds = set(kinds) if isinstance(kinds, list) else {kinds}
    if kinds & {"number", "integer"}:
        return "number"
    if "string" not in kinds:
        return ""
    form, described = schema.get("format"), str(schema.get("description", ""))
    if form in ("date", "date-time") or (form is None and _DATE_FORM.search(described)):
        return "date"
    if form == "time" or (form is None and _TIME_FORM.search(described)):
        return "time"
    return ""


def count_numbers(text: str) -> int:
    """How many numbers `text` writes, in digits or in words ("a five-year loan of $2,000": 2),
    a year or month said relatively ("this year") counted as one."""
    digits = ANY_NUMBER.findall(text.replace(",", ""))
    return len(digits) + len(_NUMBER_WORD.findall(text)) + len(_RELATIVE.findall(text))


def lacking(query: str, tool: Tool) -> str | None:
    """What `query` plainly lacks of the values the tool needs, told to the model; None when
    nothing is plainly missing (a request may still leave out a value that is a word)."""
    inputs = [(name, schema, _kind(schema)) for name, schema in required_inputs(tool)]
    numbers = [(n, s) for n, s, kind in inputs if kind == "number"]
    if numbers and count_numbers(query) < len(numbers):
        wanted = "; ".join(_described(n, s) for n, s in numbers)
        given = count_numbers(query)
        return (
            f"it gives {given} number{'s' if given != 1 else ''}, but the task needs "
            f"{len(numbers)}, one for each of: {wanted}"
        )
    for name, schema, kind in inputs:
        if kind == "time" and not _CLOCK_TIME.search(query):
            return f"it gives no time of day, but the task needs one: {_described(name, schema)}"
        if kind == "date" and not _DATE.search(query):
            return f"it gives no date, but the task needs one: {_described(name, schema)}"
    return None
