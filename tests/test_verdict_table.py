"""A hand-written table of (expected, predicted, verdicts), read off FORMAT.md, not the code.

Each row was decided from the benchmark format's rules alone:
- strict: same tool; every expected argument present and equal (numbers by value, relative
  tolerance 1e-6 and nothing absolute; strings trimmed and case-folded; lists and dicts element
  by element; a string never equals a number; a boolean only a boolean; `null` equals a
  parameter whose default is None); an added argument only if it equals its default; an
  expected argument equal to its default may be omitted; any one expected call suffices.
- lenient (the paper's): same tool; every expected argument present with
  `str(value).strip().lower()` equal; anything added is ignored.
- execution equivalence: the predicted call, run, returns exactly what an expected call returns.
"""

import asyncio

import pytest

from ste.eval.matching import lenient_match_any, match_any
from ste.eval.runner import execution_equivalent
from ste.tools import load_tools

CONVERT = {
    "type": "object",
    "properties": {
        "value": {"type": "number"},
        "from_unit": {"type": "string"},
        "to_unit": {"type": "string"},
        "precision": {"type": "integer", "default": 4},
        "note": {"type": ["string", "null"], "default": None},
        "label": {"type": "string"},  # optional, and no default written in the schema
        "payload": {},
    },
    "required": ["value", "from_unit", "to_unit"],
}
NOW = {"type": "object", "properties": {"tz": {"type": "string", "default": "UTC"}}}
SCHEMAS = {"convert_units": CONVERT, "now": NOW}
BASE = {"value": 3, "from_unit": "km", "to_unit": "mi"}
BIG = 10**400


def conv(**changes):
    arguments = {**BASE, **changes}
    return {"name": "convert_units", "arguments": {k: v for k, v in arguments.items() if v != ...}}


# (case, expected calls, predicted call, strict, lenient)
TABLE = [
    ("identical", [conv()], conv(), True, True),
    ("int vs float", [conv()], conv(value=3.0), True, False),
    ("number as string", [conv()], conv(value="3"), False, True),
    ("case of a string", [conv()], conv(from_unit="KM"), True, True),
    ("padded string", [conv()], conv(from_unit=" km "), True, True),
    ("other spelling", [conv()], conv(to_unit="miles"), False, False),
    ("required argument missing", [conv()], conv(to_unit=...), False, False),
    ("added argument equal to its default", [conv()], conv(precision=4), True, True),
    ("added argument not its default", [conv()], conv(precision=2), False, True),
    ("added null where the default is None", [conv()], conv(note=None), True, True),
    ("added text where the default is None", [conv()], conv(note="x"), False, True),
    ("added null, no default known", [conv()], conv(label=None), False, True),
    ("added value, no default known", [conv()], conv(label="x"), False, True),
    ("added unknown argument", [conv()], conv(speed=1), False, True),
    ("expected default omitted", [conv(precision=4)], conv(), True, False),
    ("expected non-default omitted", [conv(precision=2)], conv(), False, False),
    ("default spelt as float", [conv(precision=4)], conv(precision=4.0), True, False),
    ("expected null omitted (default None)", [conv(note=None)], conv(), True, False),
    ("expected null given", [conv(note=None)], conv(note=None), True, True),
    ("null as the string None", [conv(note=None)], conv(note="None"), False, True),
    ("zero vs tiny", [conv(value=0)], conv(value=1e-13), False, False),
    ("tiny numbers 10% apart", [conv(value=1e-15)], conv(value=1.1e-15), False, False),
    ("within 1e-6 relative", [conv(value=1000000)], conv(value=1000000.5), True, False),
    ("2e-6 relative apart", [conv(value=1)], conv(value=1.000002), False, False),
    ("huge integers equal", [conv(value=BIG)], conv(value=BIG), True, True),
    ("huge integers off by one", [conv(value=BIG)], conv(value=BIG + 1), True, False),
    ("huge integer vs small float", [conv(value=BIG)], conv(value=1.0), False, False),
    ("negative int vs float", [conv(value=-2)], conv(value=-2.0), True, False),
    ("float within tolerance", [conv(value=2.5)], conv(value=2.5000001), True, False),
    ("required given as null", [conv()], conv(to_unit=None), False, False),
    ("other tool name", [conv()], {"name": "convert_unit", "arguments": BASE}, False, False),
    ("list by value", [conv(payload=[1, 2])], conv(payload=[1.0, 2.0]), True, False),
    ("list in another order", [conv(payload=[1, 2])], conv(payload=[2, 1]), False, False),
    ("dict with string case", [conv(payload={"a": "X"})], conv(payload={"a": "x"}), True, True),
    (
        "dict with a key more",
        [conv(payload={"a": 1})],
        conv(payload={"a": 1, "b": 2}),
        False,
        False,
    ),
    ("true vs 1", [conv(payload=True)], conv(payload=1), False, False),
    ("true vs 'true'", [conv(payload=True)], conv(payload="true"), False, True),
    ("casefold, not lower", [conv(to_unit="Straße")], conv(to_unit="STRASSE"), True, False),
    (
        "second expected call",
        [conv(), conv(from_unit="mi", to_unit="km")],
        conv(from_unit="mi", to_unit="km"),
        True,
        True,
    ),
    (
        "no expected call matches",
        [conv(), conv(from_unit="mi", to_unit="km")],
        conv(from_unit="mi", to_unit="mi"),
        False,
        False,
    ),
    (
        "no arguments at all",
        [{"name": "now", "arguments": {}}],
        {"name": "now", "arguments": {}},
        True,
        True,
    ),
    (
        "added default to an empty call",
        [{"name": "now", "arguments": {}}],
        {"name": "now", "arguments": {"tz": "UTC"}},
        True,
        True,
    ),
    (
        "added non-default to an empty call",
        [{"name": "now", "arguments": {}}],
        {"name": "now", "arguments": {"tz": "CET"}},
        False,
        True,
    ),
    (
        "expected default omitted (only argument)",
        [{"name": "now", "arguments": {"tz": "UTC"}}],
        {"name": "now", "arguments": {}},
        True,
        False,
    ),
]


def test_the_table_is_large_enough():
    assert len(TABLE) >= 40 and len({row[0] for row in TABLE}) == len(TABLE)


@pytest.mark.parametrize(
    ("case", "expected", "predicted", "strict", "lenient"), TABLE, ids=[row[0] for row in TABLE]
)
def test_strict_and_lenient_verdicts(case, expected, predicted, strict, lenient):
    name, arguments = predicted["name"], predicted["arguments"]
    assert match_any(name, arguments, expected, SCHEMAS.get(name)).ok is strict
    assert lenient_match_any(name, arguments, expected).ok is lenient


# (case, expected calls, predicted call, execution-equivalent); `round_to(value, digits=0)`
# returns round(value, digits), `fail()` raises.
EXEC_TABLE = [
    ("the same call", [("round_to", {"value": 2.4})], ("round_to", {"value": 2.4}), True),
    (
        "other arguments, same result",
        [("round_to", {"value": 2.4})],
        ("round_to", {"value": 2.3}),
        True,
    ),
    (
        "default spelt out",
        [("round_to", {"value": 2.4})],
        ("round_to", {"value": 2.4, "digits": 0}),
        True,
    ),
    ("another result", [("round_to", {"value": 2.4})], ("round_to", {"value": 2.6}), False),
    ("the predicted call fails", [("round_to", {"value": 2.4})], ("fail", {}), False),
    (
        "matches the second expected call",
        [("round_to", {"value": 9.9}), ("round_to", {"value": 1.4})],
        ("round_to", {"value": 1.2}),
        True,
    ),
]


@pytest.mark.parametrize(
    ("case", "expected", "predicted", "same"), EXEC_TABLE, ids=[row[0] for row in EXEC_TABLE]
)
def test_execution_equivalence_verdicts(case, expected, predicted, same, toolboxes):
    tools = {t.name: t for t in load_tools(str(toolboxes / "rounding.py"))}
    calls = [{"name": n, "arguments": a} for n, a in expected]
    verdict, _ = asyncio.run(execution_equivalent(tools, predicted[0], predicted[1], calls))
    assert verdict is same


def test_a_wide_table_on_a_narrow_terminal_keeps_names_and_figures_whole():
    from rich.console import Console

    from ste.display import table

    columns = ["tool", "trials", "solved%", "agrees%", "errors%", "calls", "queries", "params"]
    columns += ["errors seen", "tokens"]
    rows = [
        ["convert_currency", "9", "66.7", "100.0", "40.0", "15", "9", "4", "2", "72,951"],
        ["convert_time", "12", "100.0", "88.9", "0.0", "9", "8", "4", "0", "98,951"],
    ]
    console = Console(width=80, record=True, color_system=None)
    console.print(table("per tool", columns, rows))
    text = console.export_text()
    assert max(len(line) for line in text.splitlines()) <= 80
    for row in rows:
        line = next(line for line in text.splitlines() if line.strip().startswith(row[0] + " "))
        assert line.split() == row, line
