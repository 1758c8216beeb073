"""Rule checks on the arguments of a trial's calls: an example must not teach a caller to
invent what the user never said, to pass another choice than the one asked for, to answer
a part of a request, or to swap the value the user named for another one the tool accepts.
Numbers on the scale or bound a parameter states: `ste.checks.scales`.
"""

from __future__ import annotations

import re
from typing import Any

from ste.checks.calls import confirmed, record_results, successful_calls
from ste.checks.numbers import percent_shares, relative_years, spoken_numbers, written_dates
from ste.checks.verdict import Check
from ste.outcome import ISO_DATE, leaves, numbers_in, supported
from ste.records import Step, Trial
from ste.tools.tool import Tool

_WORD = re.compile(r"[^\W\d_]{2,}")
_TOKENS = re.compile(r"\w+")
_EXAMPLES = re.compile(r"\b(?:e\.g\.|for example|such as|like)[^.;)]*", re.IGNORECASE)
_QUOTED = re.compile(r"['\"`]([A-Za-z][\w-]{1,})['\"`]")
_GLOSSED = re.compile(r"['\"`]([A-Za-z][\w-]{1,})['\"`]\s*\(([^()]{3,40})\)")
_DEFAULT = re.compile(r"[,;]?\s*\bthe default\b|[,;]?\s*\bdefault\b", re.IGNORECASE)
# a value the request quotes: 'chicken breast, roasted', "rice"
ANY_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
# factors by which a caller converts a number the user gave (years -> months, % -> share, ...)
_CONVERSIONS = (7, 12, 24, 52, 60, 100, 365, 1000)
# words too common to tie a value to a request
# fmt: off
COMMON_WORDS = frozenset([
    "the", "and", "for", "with", "from", "this", "that", "these", "those", "what", "which",
    "who", "how", "are", "was", "were", "has", "have", "had", "its", "into", "onto", "than",
    "then", "there", "their", "about", "over", "under", "your", "you", "our", "can", "could",
    "would", "should", "please", "like", "some", "any", "all", "each",
])
# fmt: on
# letters two words share at the start to count as one word ("including", "inclusive";
# "tomatoes", 'tomato')
STEM = 5
CONTENT_WORDS = 6  # a value this long is content the user gives (a text to analyse)


def request_numbers(query: str) -> set[float]:
    """The numbers a request gives: in digits, in words ("five recipes", "two million"), as
    decimal places ("to the nearest tenth": 1), months by name ("in May": 5), and shares
    of its numbers ("20% down" on $35,000: 7000)."""
    digits = {float(n) for n in ANY_NUMBER.findall(query.replace(",", ""))}
    return digits | spoken_numbers(query) | percent_shares(query)


def grounded_number(value: float, known: set[float]) -> bool:
    if supported(value, known):
        return True
    converted = {n * f for n in known for f in _CONVERSIONS} | {
        n / f for n in known for f in _CONVERSIONS
    }
    # as converted or rounded to decimals whose last one counts: rounded to a whole number
    # (2024 / 1000 to one decimal is 2.0), some conversion of almost any request lands on a
    # small one (25 / 12 as a `precision` of 2, 2024 as `month=2`)
    return any(
        abs(value - c) <= 1e-9 * max(1.0, abs(c))
        or any(round(c, d) == value != round(c, d - 1) for d in range(1, 7))
        for c in converted
    )


def _words(text: str) -> set[str]:
    return {w.casefold() for w in _WORD.findall(text) if len(w) >= 3} - COMMON_WORDS


def _unrelated_text(
    arguments: dict[str, Any], properties: dict[str, Any], query: str
) -> list[tuple[str, str]]:
    """Free-text values (several words, no enum) that share no word with the request (a
    'chicken breast, roasted' passed for a request about steak), and long ones, content the
    user would give, whose words are mostly not the request's (a text to analyse that the
    request never gave)."""
    asked = _words(query)
    unrelated = []
    for name, value in arguments.items():
        if not isinstance(value, str) or len(value.split()) < 2:
            continue  # a code, an id, one word: not comparable with the request's words
        if properties.get(name, {}).get("enum") or value == properties.get(name, {}).get("default"):
            continue
        words = _words(value)
        shared = words & asked
        long_and_new = len(value.split()) >= CONTENT_WORDS and len(shared) * 2 < len(words)
        if words and (not shared or long_and_new):
            unrelated.append((name, f"{name}={value[:60]!r}"))
    return unrelated


def _unasked_words(
    arguments: dict[str, Any], tool: Tool, query: str, seen: str
) -> list[tuple[str, str]]:
    """One-word values of optional free-text parameters (no enum, no quoted choices) that
    the request never says and no earlier result gives: `ingredient="garlic"` for "five
    vegetarian recipes of at most 30 minutes" narrows the answer to what nobody asked. A
    code ('FR', 'USD') is not compared: a request names it by another word."""
    properties = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    said = [w.casefold() for w in _WORD.findall(f"{query} {seen}")]
    unasked = []
    for name, value in arguments.items():
        schema = properties.get(name, {})
        if name in required or not isinstance(value, str) or value == schema.get("default"):
            continue
        if schema.get("enum") or value in choices(schema) or not value.isalpha():
            continue
        if len(value) < 3 or value.isupper() or mentions(f"{query} {seen}", value):
            continue
        stem = value.casefold()[:STEM]
        if len(value) >= STEM and any(w.startswith(stem) for w in said):
            continue  # "tomatoes" for 'tomato', "vegetables" for 'vegetable'
        unasked.append((name, f"{name}={value!r}"))
    return unasked


_DATE_OR_TIME = re.compile(r"\d{4}-\d\d-\d\d(?:[T ]\d\d:\d\d(?::\d\d)?)?|\b\d{1,2}:\d\d(?::\d\d)?")


def _numbers_in_text(
    arguments: dict[str, Any], properties: dict[str, Any], known: set[float]
) -> list[tuple[str, str]]:
    """Free-text values holding a whole number of two digits or more (a factorial written
    out, 5 * 4 * 3 * 2 * 1, uses digits the request never wrote) that neither the request
    nor an earlier result gives: the expression "10 / 2" for "the result of a division", an
    ISBN or a network the request never gave."""
    found = []
    for name, value in arguments.items():
        schema = properties.get(name, {})
        if not isinstance(value, str) or schema.get("enum") or value == schema.get("default"):
            continue
        # whole numbers: a fraction is as often a way of writing ("16**0.5" for a root)
        numbers = {n for n in numbers_in(_DATE_OR_TIME.sub(" ", value)) if n == int(n)}
        if any(not grounded_number(n, known) for n in numbers):
            found.append((name, f"{name}={value[:60]!r}"))
    return found


def invented_arguments(trial: Trial, tool: Tool) -> list[tuple[Step, str, str]]:
    """The arguments of the successful calls that neither the request nor an earlier result
    gives: (the call's step, the argument's name, how it is shown: "top_n=1")."""
    properties = tool.parameters.get("properties", {})
    known = request_numbers(trial.query) | relative_years(trial.query, trial.finished_at)
    invented: list[tuple[Step, str, str]] = []
    seen = ""  # the earlier results' text
    for step in trial.call_steps:
        if step.call is not None and step.tool_ok is True:
            for name, value in step.call.arguments.items():
                if isinstance(value, bool) or not isinstance(value, int | float):
                    continue  # strings: below
                if properties.get(name, {}).get("default") == value:
                    continue
                # as given, or negated ("45 days before" as days=-45), or confirmed
                if not (
                    grounded_number(float(value), known)
                    or grounded_number(-float(value), known)
                    or confirmed(step, trial.query)
                ):
                    invented.append((step, name, f"{name}={value:g}"))
            for name, shown in _unrelated_text(step.call.arguments, properties, trial.query):
                invented.append((step, name, shown))
            for name, shown in _numbers_in_text(step.call.arguments, properties, known):
                invented.append((step, name, shown))
            for name, shown in _unasked_words(step.call.arguments, tool, trial.query, seen):
                invented.append((step, name, shown))
        known |= numbers_in(step.observation or "")
        seen += f" {step.observation or ''}"
    return invented


def grounded(trial: Trial, tool: Tool) -> Check:
    """Every number a successful call passes (other than a parameter's default) comes from
    the request or an earlier result, as written or converted; a free-text value shares
    words with the request. An optional argument that does not is fixed by its default."""
    found = invented_arguments(trial, tool)
    if found:
        shown = ", ".join(shown for _step, _name, shown in found[:3])
        # an optional argument nobody asked for is best left at its default
        properties = tool.parameters.get("properties", {})
        required = set(tool.parameters.get("required", []))
        fix = {
            name: properties[name]["default"]
            for _step, name, _shown in found
            if name not in required and "default" in properties.get(name, {})
        }
        return Check("grounded", False, f"{shown}: not from the request or a result", fix=fix)
    return Check("grounded", True, "every number passed comes from the request or a result")


def mentions(query: str, value: str) -> bool:
    """Whether the request names `value` as a word or words (plurals too: 'weekends'), as
    written ('2026-12-05') or with its '_' and '-' read as spaces ('middle eastern'); an ISO
    date also as written out with its year ('December 5, 2026')."""
    if ISO_DATE.fullmatch(value.strip()) and any(
        day.isoformat() == value.strip() for _, day in written_dates(query)
    ):
        return True
    said = query.casefold()
    for form in dict.fromkeys(
        [value.casefold(), value.replace("_", " ").replace("-", " ").casefold()]
    ):
        if re.search(rf"(?<!\w){re.escape(form)}(?:s|es)?(?!\w)", said):
            return True
    return False


# a value a description gives as assigned to a parameter: to="iso", unit='km'
_ASSIGNED = re.compile(r"\b\w+\s*=\s*(?:'[^'\n]*'|\"[^\"\n]*\")")


def choices(schema: dict[str, Any]) -> dict[str, list[str]]:
    """A choice parameter's values, each with the names a request may call it by: the value
    and the gloss its description gives it ("'mi' (statute miles)"). A string parameter
    without an enum takes the values its description quotes as its choices (not those it
    quotes as examples)."""
    description = schema.get("description", "")
    glosses: dict[str, list[str]] = {}
    for value, gloss in _GLOSSED.findall(description):
        gloss = _DEFAULT.sub("", gloss).strip(" ,;")  # "(every day, default)": not a name
        if gloss:
            glosses.setdefault(value, []).append(gloss)
    values = [v for v in schema.get("enum", []) if isinstance(v, str)]
    if not values and schema.get("type") == "string":
        # not a value it quotes as another parameter's ('With to="iso": epoch seconds')
        values = _QUOTED.findall(_EXAMPLES.sub("", _ASSIGNED.sub("", description)))
    return {v: [v, *glosses.get(v, [])] for v in dict.fromkeys(values)}


def takes_number(schema: dict[str, Any]) -> bool:
    """Whether a parameter's schema takes a number (or an integer), alone or among others."""
    kinds = schema.get("type")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    kinds += [option.get("type") for option in schema.get("anyOf", []) if isinstance(option, dict)]
    return bool({"number", "integer"} & set(kinds))


def _quantities(query: str, properties: dict[str, Any]) -> str:
    """The request without the quantities another parameter takes by its name: "under 30
    minutes" is `max_minutes`, not the choice 'minutes' of a `sort_by`."""
    numeric = [
        name.casefold().replace("-", "_").split("_")
        for name, schema in properties.items()
        if takes_number(schema)
    ]
    units = {word for parts in numeric if len(parts) > 1 for word in parts if len(word) > 2}

    def unit(match: re.Match[str]) -> str:
        word = match.group(2).casefold()
        singular = word[:-1] if word.endswith("s") else word
        return " " if word in units or singular in units or f"{word}s" in units else match.group(0)

    return re.sub(r"(\d[\d.,]*\s*)([^\W\d_]+)", unit, query)


# a choice the request rules out ("base64-encoded, not hex", "in km rather than miles")
_NEGATED = re.compile(
    r"\b(?:not|instead of|rather than|other than)\s+(?:in\s+|as\s+|an?\s+|the\s+)?[\w-]+",
    re.IGNORECASE,
)


def _named(
    query: str, schema: dict[str, Any], properties: dict[str, Any] | None = None, given: str = ""
) -> list[str]:
    """The choices of `schema` the request names, but for those it rules out ("not hex")
    and those it names as a part of a value `given` to another parameter (the "HSL" of
    "Convert the HSL color hsl(...) to RGB" names the color passed, not a `to_format`)."""
    query = _NEGATED.sub(" ", _quantities(query, properties or {}))
    return [
        v
        for v, names in choices(schema).items()
        if any(mentions(query, n) for n in names) and not mentions(given, v)
    ]


def _given(calls: list[Step], skip: str) -> str:
    """The string values the calls pass to parameters other than `skip`, as one text."""
    return " ".join(
        value
        for call in calls
        for name, value in call.call.arguments.items()  # type: ignore[union-attr]
        if name != skip and isinstance(value, str)
    )


def enums_as_asked(trial: Trial, tool: Tool) -> Check:
    """Where the request names exactly one value of a choice parameter ("business days"),
    the last successful call passes that value (given, or as the default)."""
    calls = successful_calls(trial)
    if not calls:
        return Check("enums_as_asked", True, "no successful call")
    last = calls[-1].call.arguments  # type: ignore[union-attr]
    for name, schema in tool.parameters.get("properties", {}).items():
        given = _given(calls[-1:], name)
        named = _named(trial.query, schema, tool.parameters.get("properties", {}), given)
        if len(named) != 1:
            continue
        passed = last.get(name, schema.get("default"))
        if isinstance(passed, str) and passed.casefold() != named[0].casefold():
            return Check(
                "enums_as_asked",
                False,
                f"the request says {named[0]!r}, the call {name}={passed!r}",
                fix={name: named[0]},
            )
    return Check("enums_as_asked", True, "enum values as the request names them")


def every_choice_asked(trial: Trial, tool: Tool) -> Check:
    """Where the request names several values of one choice parameter ("in miles and in
    km"), the successful calls pass each of them: an answer for one leaves the rest unsaid.
    A choice a result gives as a value is accounted for: "the hex color '#f80' to RGB"
    names 'hex' for the color it gives, which the result reads as `"input_format": "hex"`;
    so is one under which the result repeats a value the call passed (`"unix": 1700000000`
    for "the Unix timestamp '1700000000' as ISO 8601"); and so is one under which the result
    gives a value the answer states ("iso": "2024-12-06T11:00:00Z" for "as ISO 8601")."""
    calls = successful_calls(trial)
    properties = tool.parameters.get("properties", {})
    answer = trial.final_answer or ""
    passed = {
        str(call.call.arguments.get(name, schema.get("default"))).casefold()  # type: ignore[union-attr]
        for call in calls
        for name, schema in properties.items()
    }
    for step, result in record_results(trial):
        passed |= {leaf.casefold() for leaf in leaves(result) if isinstance(leaf, str)}
        # a key under which the result repeats a value the call passed: the request's
        # "the Unix timestamp 1700000000" names the input, which the result gives as "unix"
        given = {str(v).strip().casefold() for v in step.call.arguments.values()}  # type: ignore[union-attr]
        passed |= {k.casefold() for k, v in result.items() if str(v).strip().casefold() in given}
        # a key whose value the answer states: "to ISO 8601" answered with the result's
        # "iso" field, of a call that converted the other way
        passed |= {
            k.casefold()
            for k, v in result.items()
            if isinstance(v, str | int | float) and len(str(v)) >= 3 and str(v) in answer
        }
    for name, schema in properties.items():
        named = _named(trial.query, schema, properties, _given(calls, name))
        missing = [v for v in named if v.casefold() not in passed]
        if calls and len(named) >= 2 and missing:
            return Check(
                "every_choice_asked",
                False,
                f"the request names {' and '.join(map(repr, named))} for {name}; "
                f"no successful call passed {' or '.join(map(repr, missing))}",
            )
    return Check("every_choice_asked", True, "each choice the request names was passed")


def in_request(value: Any, query: str) -> bool:
    """Whether the request names `value`: a number as written or rounded, a word or words."""
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, int | float):
        return supported(float(value), request_numbers(query))
    return isinstance(value, str) and mentions(query, value)


def unasked_options(arguments: dict[str, Any], schema: dict[str, Any], request: str) -> list[str]:
    """The optional arguments of a call, other than their defaults, that `request` does not
    name (a `precision` of 2 for a request that asks for no rounding)."""
    required = set(schema.get("required", []))
    properties = schema.get("properties", {})
    unasked = []
    for name, value in arguments.items():
        if name in required or name not in properties:
            continue
        if value == properties[name].get("default"):
            continue
        asked = mentions(request, name) if isinstance(value, bool) else in_request(value, request)
        if not asked:
            unasked.append(name)
    return unasked
