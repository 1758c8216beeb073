"""Rule checks that every part of a request is used: a quantity it states is passed to the
tool, and the things it asks for are named in the answer.

A model that practises with a tool imagines requests, and some ask for more than the tool
takes: "the distance between Paris and London by 6 hours" (no parameter takes a duration),
"the energy of 750 g of pasta for a 70 years old". The call runs, the answer repeats the
request's words around the result, and every other check passes; but the example teaches
a caller to drop part of what the user said. Likewise "find the public holidays of 2025"
answered "There are 11 public holidays": the result lists them, the answer names none; and
"energy, protein and fiber content" answered with the protein alone.
"""

from __future__ import annotations

import json
import re

from ste.checks.arguments import ANY_NUMBER, COMMON_WORDS, mentions
from ste.checks.calls import record_results, successful_calls
from ste.checks.numbers import NUMBER_WORDS, number_beside
from ste.checks.verdict import Check
from ste.outcome import leaves, numbers_in, supported
from ste.records import Trial
from ste.tools.tool import Tool

# units of measure a quantity is stated in: time, length, mass, volume, area, speed,
# temperature, data, shares; in full, plural, and abbreviated
# fmt: off
_UNIT_WORDS = [
    "seconds?", "secs?", "minutes?", "mins?", "hours?", "hrs?", "days?", "weeks?", "months?",
    "years?", "yrs?", "decades?", "centuries", "century",
    "millimet(?:er|re)s?", "centimet(?:er|re)s?", "met(?:er|re)s?", "kilomet(?:er|re)s?",
    "mm", "cm", "km", "miles?", "mi", "feet", "foot", "ft", "inch(?:es)?", "in\\.", "yards?",
    "yd", "nautical miles?", "nmi",
    "milligrams?", "grams?", "kilograms?", "mg", "g", "kg", "pounds?", "lbs?", "ounces?",
    "oz", "tons?", "tonnes?", "stones?",
    "millilit(?:er|re)s?", "lit(?:er|re)s?", "ml", "l", "gallons?", "gal", "cups?", "pints?",
    "quarts?", "tablespoons?", "tbsp", "teaspoons?", "tsp",
    "square (?:met(?:er|re)s?|feet|foot|kilomet(?:er|re)s?|miles?)", "acres?", "hectares?",
    "mph", "km/h", "kph", "knots?",
    "degrees?", "°[CF]?", "celsius", "fahrenheit", "kelvin",
    "bytes?", "kb", "mb", "gb", "tb", "kilobytes?", "megabytes?", "gigabytes?",
    "percent", "per ?cent", "%", "calories", "kcal",
]
# fmt: on
_NUMBER_WORD = "|".join(sorted(NUMBER_WORDS, key=len, reverse=True))
_QUANTITY = re.compile(
    rf"(?<![\w.,:/-])(\d[\d,]*(?:\.\d+)?|{_NUMBER_WORD})(?:\s*|-)"
    rf"({'|'.join(_UNIT_WORDS)})(?![\w/])",
    re.IGNORECASE,
)
# factors by which a caller converts a quantity (years -> months, hours -> minutes, % ->
# share, km -> m, ...) and the common unit conversions a tool may have been given instead
_FACTORS = (7, 12, 24, 30, 52, 60, 100, 365, 1000, 3600, 86400)

# a request that asks how many, not which ("how many holidays", "the number of recipes")
_ASKS_COUNT = re.compile(r"\bhow many\b|\b(?:the )?(?:number|count|total) of\b", re.IGNORECASE)


def _as_number(token: str) -> float:
    word = token.casefold()
    return NUMBER_WORDS[word] if word in NUMBER_WORDS else float(token.replace(",", ""))


def _numbers(values: list[object]) -> set[float]:
    """The numbers among `values`, and those written in their strings ("2+3", "2024-07-15")."""
    found: set[float] = set()
    for value in values:
        if isinstance(value, bool):
            continue
        if isinstance(value, int | float):
            found.add(float(value))
        elif isinstance(value, str):
            found |= {float(n) for n in re.findall(r"\d+(?:\.\d+)?", value.replace(",", ""))}
    return found


def _result_numbers(trial: Trial) -> set[float]:
    """The numbers the successful calls' results hold."""
    found: set[float] = set()
    for step in successful_calls(trial):
        try:
            found |= _numbers(leaves(json.loads(step.observation or "")))
        except (json.JSONDecodeError, ValueError, RecursionError):
            found |= _numbers([step.observation or ""])
    return found


def _converted(value: float, known: set[float], share_of: set[float]) -> bool:
    """Whether `value` is among the known numbers as written, converted, negated ("45
    days before" as days=-45) or, for a percentage, as that share of another number ("20%
    down" on $35,000 as down_payment=7000)."""
    known = known | {-k for k in known}
    candidates = {value} | {value * f for f in _FACTORS} | {value / f for f in _FACTORS}
    candidates |= {value / 100 * other for other in share_of}
    return any(
        supported(c, known) or any(abs(c - k) <= 1e-6 * max(1.0, abs(k)) for k in known)
        for c in candidates
    )


def quantities_used(trial: Trial) -> Check:
    """Every quantity the request states ("by 6 hours", "a 70 years old", "in 30 days") is
    passed to a successful call, as written or converted (30 years as 360 months), or held
    by a result: a quantity no call took is a part of the request the example drops."""
    calls = successful_calls(trial)
    if not calls:
        return Check("quantities_used", True, "no successful call to compare with")
    known = _numbers([leaf for s in calls for leaf in leaves(s.call.arguments)])  # type: ignore[union-attr]
    known |= _result_numbers(trial)
    others = known | {float(n) for n in ANY_NUMBER.findall(trial.query.replace(",", ""))}
    for match in _QUANTITY.finditer(trial.query):
        value = _as_number(match.group(1))
        percent = match.group(2).casefold().replace(" ", "") in ("%", "percent")
        if not _converted(value, known, others if percent else set()):
            return Check(
                "quantities_used",
                False,
                f"the request states {match.group(0).strip()!r}; no call passed it and no "
                "result holds it (a part of the request the call left out)",
            )
    return Check("quantities_used", True, "each quantity the request states was passed")


def _named(value: object) -> bool:
    return isinstance(value, str) and re.search(r"[^\W\d_]{3}", value) is not None


def _asked_for(key: str, request: str) -> bool:
    """Whether the request names the things a result's list holds ("holidays" for the key
    `holidays`, "recipe" for `recipes`): a list beside the answer asked for (a country's
    languages beside its capital) need not be named."""
    stem = re.sub(r"(?:ies|es|s)$", "", key.casefold())[:6]
    return len(stem) >= 3 and stem in request.casefold()


def _listed_names(observation: str, request: str) -> list[str]:
    """The names of the records a result lists (a list of objects each with a string
    field) where the request asks for them, or [] when it lists none it asks for. A
    result that is a list is what the call was for; a list under a key, only when the
    request names the key."""
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return []
    if isinstance(value, list):
        lists = [value]
    elif isinstance(value, dict):
        lists = [v for k, v in value.items() if isinstance(v, list) and _asked_for(k, request)]
    else:
        return []
    for items in lists:
        records = [item for item in items if isinstance(item, dict)]
        names = [next((v for v in r.values() if _named(v)), None) for r in records]
        if found := [name for name in names if name]:  # one record found is named too
            return found
    return []


def list_answered(trial: Trial) -> Check:
    """A request for things a result lists (holidays, recipes) is answered with at least
    one of them by name, unless it asks how many: "There are 11 public holidays" names
    none of what was asked for."""
    if _ASKS_COUNT.search(trial.query):
        return Check("list_answered", True, "the request asks how many")
    answer = (trial.final_answer or "").casefold()
    for step in successful_calls(trial):
        names = _listed_names(step.observation or "", trial.query)
        if names and not any(name.casefold() in answer for name in names):
            return Check(
                "list_answered",
                False,
                f"a result lists {len(names)} (e.g. {names[0]!r}); the answer names none of them",
            )
    return Check("list_answered", True, "the answer names what the results list")


# a request for every match ("Find all vegetarian recipes"), not "at all" or "all of it"
_ASKS_ALL = re.compile(r"(?<!\bat )\b(?:all|every)\b(?!\s+(?:of\s+)?(?:it|that|this)\b)", re.I)
_TOTAL_KEY = re.compile(r"total|match", re.IGNORECASE)


def _held_back(observation: str) -> tuple[int, int] | None:
    """(records returned, matches in all) of a result that says it holds fewer records than
    it matched (`{"total_matches": 6, "recipes": [5 records]}`), else None."""
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return None
    if not isinstance(value, dict):
        return None
    totals = [
        v
        for k, v in value.items()
        if isinstance(v, int)
        and not isinstance(v, bool)
        and _TOTAL_KEY.search(k)
        and "page" not in k
    ]
    lists = [
        len(v)
        for v in value.values()
        if isinstance(v, list) and v and all(isinstance(item, dict) for item in v)
    ]
    if totals and lists and max(lists) < max(totals):
        return max(lists), max(totals)
    return None


def all_returned(trial: Trial) -> Check:
    """A request for all the things a search finds is answered from a call that returned
    all of them: "Find all vegetarian recipes" called with `limit=5` lists 5 of the 6 the
    result says it matched."""
    calls = successful_calls(trial)
    if not calls or not _ASKS_ALL.search(trial.query):
        return Check("all_returned", True, "the request asks for no complete list")
    held_back = [cut for step in calls if (cut := _held_back(step.observation or ""))]
    if len(held_back) == len(calls):
        returned, matched = held_back[-1]
        return Check(
            "all_returned",
            False,
            f"the request asks for all; the result holds {returned} of the {matched} it "
            f"matched: a call that returns all {matched} answers it",
        )
    return Check("all_returned", True, "a call returned everything it matched")


# a request for two results of one kind: "the sum of the first 10 numbers and the sum of
# the first 12", "the distance to Paris and the distance to Rome"; not the ends of one
# ("between the capital of France and the capital of Japan")
_TWO_ASKED = re.compile(
    r"(?<!between )\bthe ([a-z]{3,}) (?:of|to|from|for|in|between)\b[^.?!;,]{1,60}?"
    r"\band (?:also )?(?:the )?\1\b",
    re.IGNORECASE,
)


def both_answered(trial: Trial) -> Check:
    """A request for two results of one kind ("the sum of the first 10 numbers and the sum
    of the first 12") is answered with two numbers from the results, not one: "21" answers
    one of them at most."""
    asked = _TWO_ASKED.search(trial.query)
    if not asked or not successful_calls(trial):
        return Check("both_answered", True, "the request asks for one result of each kind")
    results = _result_numbers(trial)
    given = {
        float(n)
        for n in ANY_NUMBER.findall((trial.final_answer or "").replace(",", ""))
        if supported(float(n), results)
    }
    if len(given) < 2:
        return Check(
            "both_answered",
            False,
            f"the request asks for two {asked.group(1)}s ({asked.group(0)!r}...); the answer "
            f"gives {len(given)} number(s) from the results",
        )
    return Check("both_answered", True, "the answer gives a result for each one asked")


def _forms(value: object) -> list[str] | None:
    """How an answer may write a result's value: a number rounded or with separators, a
    string as it is, a short list of strings by any of them (official languages: "French");
    None for what an answer does not quote (a longer list, a record, a flag)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, list) and 0 < len(value) <= 10:
        strings = [v for v in value if isinstance(v, str) and v]
        return strings if len(strings) == len(value) else None
    if isinstance(value, int | float):
        whole = round(value)
        shown = [f"{value:g}", f"{value:,}", f"{value:,.2f}", f"{value:.1f}"]
        return [*shown, f"{whole}", f"{whole:,}"]
    return [value] if isinstance(value, str) and value else None


def fields_answered(trial: Trial) -> Check:
    """Each thing a request asks for by the name of a field of the result ("energy content,
    protein content and fiber content": energy_kcal, protein_g, fiber_g) is in the answer,
    by its name or its value. A field that echoes an argument (the date, the amount) is
    not asked for. Two dev trials asked for five nutrients and answered only the protein."""
    query, answer = trial.query.casefold(), (trial.final_answer or "").casefold()
    unanswered: list[str] = []
    for step, result in record_results(trial):
        arguments = step.call.arguments  # type: ignore[union-attr]
        passed = {json.dumps(v) for v in arguments.values()}
        # as text too: the epoch seconds passed as "1700000000", echoed as 1700000000
        given = {str(v).strip().casefold() for v in arguments.values()}
        for key, value in result.items():
            forms = _forms(value)
            word = re.split(r"[_\W]+", key.casefold())[0]
            echoed = json.dumps(value) in passed or str(value).strip().casefold() in given
            if forms is None or key in arguments or echoed or len(word) < 4:
                continue
            asked = re.search(rf"\b{re.escape(word)}", query)
            if asked and word not in answer and not any(f.casefold() in answer for f in forms):
                unanswered.append(f"{key}={value!r}")
    if unanswered:
        return Check(
            "fields_answered",
            False,
            f"the request asks for {', '.join(unanswered[:3])}; the answer gives neither its "
            "name nor its value",
        )
    return Check("fields_answered", True, "the answer gives each result field the request names")


_ENDS = (("from_", "to_"), ("source_", "target_"), ("src_", "dst_"), ("origin_", "destination_"))


def ends_differ(trial: Trial) -> Check:
    """No call converts a thing into itself: `from_tz` and `to_tz` both "America/Chicago"
    for a request from CST to CDT runs, and its answer restates the time it was given."""
    for step in successful_calls(trial):
        arguments = step.call.arguments  # type: ignore[union-attr]
        for name, value in arguments.items():
            for start, end in _ENDS:
                if (
                    name.startswith(start)
                    and value is not None
                    and arguments.get(end + name.removeprefix(start)) == value
                ):
                    other = end + name.removeprefix(start)
                    return Check(
                        "ends_differ",
                        False,
                        f"{name} and {other} are both {value!r}: the call converts nothing",
                    )
    return Check("ends_differ", True, "no call converts a value into itself")


_QUOTED_SPAN = re.compile(r"(?<!\w)'([^'\n]{2,60})'(?!\w)|\"([^\"\n]{2,60})\"")
# a format written with placeholder words: MAJOR.MINOR.PATCH, YYYY-MM-DD, HH:MM
_TEMPLATE = re.compile(r"[A-Z]{2,}(?:[^\w\s]+[A-Za-z]+)+[^\w\s]*")


def format_template(span: str, tool: Tool) -> bool:
    """Whether a quoted `span` is a format the tool's description writes with placeholder
    words ("MAJOR.MINOR.PATCH"), not a value: a request repeating it names no value."""
    if any(c.isdigit() for c in span) or not _TEMPLATE.match(span):
        return False
    described = json.dumps([tool.description, tool.parameters], ensure_ascii=False)
    return span in described


def every_value_passed(trial: Trial, tool: Tool) -> Check:
    """Where the request names two things of one kind ("with garlic and olive oil", "garlic,
    onions, and bell peppers") and the call passed one of them to a free-text parameter
    ("olive oil"), the other is passed too, by some call: a tool that takes one ingredient
    answers another request, and the answer that claims both ("Caprese Salad ... includes
    garlic") is not what the results say."""
    calls = successful_calls(trial)
    properties = tool.parameters.get("properties", {})
    passed = " ".join(
        json.dumps(call.call.arguments, ensure_ascii=False).casefold()  # type: ignore[union-attr]
        for call in calls
    )
    passed_numbers = numbers_in(passed)
    spans = [a or b for a, b in _QUOTED_SPAN.findall(trial.query)]
    spans = [span for span in spans if not format_template(span, tool)]
    for call in calls:
        for name, value in call.call.arguments.items():  # type: ignore[union-attr]
            schema = properties.get(name, {})
            if isinstance(value, int | float) and not isinstance(value, bool):
                other_number = number_beside(trial.query, value, passed_numbers)
                if other_number is not None:
                    return Check(
                        "every_value_passed",
                        False,
                        f"the request names {other_number} beside {value:g}; no successful "
                        f"call passed {other_number}",
                    )
                continue
            if not isinstance(value, str) or schema.get("enum") or not mentions(trial.query, value):
                continue
            if any(span.casefold() == value.casefold() for span in spans):
                # passed whole, or in parts: "2026-12-05 16:00" as a date and a time
                unpassed = [x for x in spans if not all(w in passed for w in x.casefold().split())]
                if unpassed:
                    return Check(
                        "every_value_passed",
                        False,
                        f"the request quotes {unpassed[0]!r} beside {value!r}; no call "
                        f"passed {unpassed[0]!r}",
                    )
            pattern = rf"(?<![\w-])([^\W\d_]{{3,}}),?\s+(?:and|&)\s+{re.escape(value)}(?!\w)"
            # or first of a list: "garlic, onions, and bell peppers"
            first = rf"(?<![\w-]){re.escape(value)},\s+([^\W\d_]{{3,}})(?=\s*,|\s+(?:and|or)\b)"
            found = re.findall(pattern, trial.query, re.IGNORECASE)
            for other in found + re.findall(first, trial.query, re.IGNORECASE):
                if other.casefold() in COMMON_WORDS or other.casefold() in passed:
                    continue
                return Check(
                    "every_value_passed",
                    False,
                    f"the request names {other!r} beside {value!r}; no call passed {other!r}",
                )
    return Check("every_value_passed", True, "each value the request names was passed")
