"""Judge-free argument matching (ste.eval.matching)."""

import math

import pytest

from ste.eval.matching import Verdict, lenient_match_any, match_any, match_call, values_equal

CONVERT_SCHEMA = {
    "type": "object",
    "properties": {
        "value": {"type": "number"},
        "from_unit": {"type": "string"},
        "to_unit": {"type": "string"},
        "precision": {"type": "integer", "default": 4},
        "note": {"type": ["string", "null"], "default": None},
        "label": {"type": "string"},  # optional, no default in the schema
    },
    "required": ["value", "from_unit", "to_unit"],
}


def call(name="convert_units", **arguments):
    return {"name": name, "arguments": arguments}


EXPECTED = call(value=3, from_unit="km", to_unit="mi")


# --- values_equal -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "predicted"),
    [
        (3, 3.0),
        (3.0, 3),
        (0, 0.0),
        (-2, -2.0),
        (1.0, 1.0 + 1e-7),
        (1e6, 1e6 + 0.5),
        (math.inf, math.inf),
        ("km", "km"),
        ("Paris", "paris"),
        ("  Paris ", "PARIS"),
        ("Straße", "STRASSE"),  # casefold, not just lower
        (True, True),
        (False, False),
        (None, None),
        ([1, "a"], [1.0, " A "]),
        ([], []),
        ({"a": 1, "b": "X"}, {"b": "x", "a": 1.0}),
        ({"a": [1, {"b": "Q"}]}, {"a": [1.0, {"b": "q"}]}),
        ([[1, 2], [3]], [[1.0, 2.0], [3.0]]),
        ({}, {}),
    ],
)
def test_values_equal(expected, predicted):
    assert values_equal(expected, predicted)


@pytest.mark.parametrize(
    ("expected", "predicted"),
    [
        (1.0, 1.0 + 1e-5),
        (3, 4),
        (0, 1e-9),
        ("2025", 2025),
        (2025, "2025"),
        ("3.0", 3.0),
        (True, 1),
        (1, True),
        (False, 0),
        (0, False),
        (True, "true"),
        (1.0, True),
        (math.nan, math.nan),
        (math.inf, -math.inf),
        ("km", "kms"),
        ("mi", "miles"),
        ("a b", "ab"),
        (None, 0),
        (None, ""),
        ("", None),
        (None, "null"),
        ([1, 2], [2, 1]),
        ([1, 2], [1, 2, 3]),
        ([1], 1),
        ([1], {"0": 1}),
        ({"a": 1}, {"a": 1, "b": 2}),
        ({"a": 1, "b": 2}, {"a": 1}),
        ({"a": 1}, {"A": 1}),
        ({"a": [1, {"b": "q"}]}, {"a": [1, {"b": "r"}]}),
        ([True], [1]),
    ],
)
def test_values_not_equal(expected, predicted):
    assert not values_equal(expected, predicted)


# --- match_call: names and required arguments ----------------------------------------------


def test_exact_match():
    verdict = match_call(
        "convert_units", {"value": 3, "from_unit": "km", "to_unit": "mi"}, EXPECTED
    )
    assert verdict == Verdict(ok=True, reason="ok")


def test_int_float_and_string_normalisation():
    args = {"value": 3.0, "from_unit": " KM", "to_unit": "Mi "}
    assert match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA).ok


def test_number_tolerance():
    expected = call(value=1.5, from_unit="km", to_unit="mi")
    close = {"value": 1.5 * (1 + 1e-7), "from_unit": "km", "to_unit": "mi"}
    far = {"value": 1.5 * (1 + 1e-5), "from_unit": "km", "to_unit": "mi"}
    assert match_call("convert_units", close, expected).ok
    assert not match_call("convert_units", far, expected).ok


def test_wrong_tool_name():
    verdict = match_call("date_calc", {"value": 3, "from_unit": "km", "to_unit": "mi"}, EXPECTED)
    assert not verdict.ok
    assert verdict.reason == "tool: expected convert_units, got date_calc"


def test_tool_name_is_exact():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    assert not match_call("Convert_Units", args, EXPECTED).ok


def test_wrong_value_names_argument():
    args = {"value": 3, "from_unit": "km", "to_unit": "miles"}
    verdict = match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA)
    assert not verdict.ok
    assert verdict.reason == "argument 'to_unit': expected 'mi', got 'miles'"


def test_string_never_equals_number():
    expected = call("date_calc", year=2025)
    verdict = match_call("date_calc", {"year": "2025"}, expected)
    assert not verdict.ok
    assert "'year'" in verdict.reason
    assert not match_call("date_calc", {"year": 2025}, call("date_calc", year="2025")).ok


def test_bool_is_not_int():
    expected = call("f", flag=True)
    assert match_call("f", {"flag": True}, expected).ok
    verdict = match_call("f", {"flag": 1}, expected)
    assert not verdict.ok
    assert "'flag'" in verdict.reason
    assert not match_call("f", {"count": True}, call("f", count=1)).ok


def test_nested_arguments():
    expected = call("plot", points=[{"x": 1, "y": 2.5}], style={"color": "Red", "tags": ["A"]})
    good = {"points": [{"x": 1.0, "y": 2.5}], "style": {"tags": ["a"], "color": "red"}}
    assert match_call("plot", good, expected).ok
    missing_key = {"points": [{"x": 1.0}], "style": {"tags": ["a"], "color": "red"}}
    assert "'points'" in match_call("plot", missing_key, expected).reason
    extra_key = {"points": [{"x": 1, "y": 2.5}], "style": {"tags": ["a"], "color": "r", "w": 1}}
    verdict = match_call("plot", extra_key, expected)
    assert not verdict.ok
    assert "'style'" in verdict.reason
    reordered = {"points": [{"x": 1, "y": 2.5}], "style": {"tags": ["a"], "color": "red"}}
    assert match_call("plot", reordered, expected).ok


def test_missing_argument():
    verdict = match_call("convert_units", {"from_unit": "km", "to_unit": "mi"}, EXPECTED)
    assert not verdict.ok
    assert verdict.reason == "missing argument 'value'"


def test_missing_argument_with_schema():
    args = {"from_unit": "km", "to_unit": "mi"}
    verdict = match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA)
    assert verdict.reason == "missing argument 'value'"


def test_several_differences_are_all_reported():
    verdict = match_call("convert_units", {"value": 4, "to_unit": "mi", "x": 1}, EXPECTED)
    assert not verdict.ok
    for name in ("'value'", "'from_unit'", "'x'"):
        assert name in verdict.reason


def test_no_arguments():
    assert match_call("now", {}, {"name": "now", "arguments": {}}).ok
    assert match_call("now", {}, {"name": "now"}).ok
    assert not match_call("now", {"tz": "UTC"}, {"name": "now", "arguments": {}}).ok


# --- match_call: defaults ------------------------------------------------------------------


def test_extra_argument_equal_to_default_is_accepted():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "precision": 4}
    assert match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA).ok
    args["precision"] = 4.0
    assert match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA).ok


def test_extra_argument_not_equal_to_default_is_rejected():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "precision": 2}
    verdict = match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA)
    assert not verdict.ok
    assert verdict.reason == "extra argument 'precision'=2 (default 4)"


def test_extra_argument_without_schema_is_rejected():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "precision": 4}
    verdict = match_call("convert_units", args, EXPECTED)
    assert not verdict.ok
    assert verdict.reason == "extra argument 'precision'=4"


def test_extra_argument_unknown_to_schema_is_rejected():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "speed": None}
    verdict = match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA)
    assert not verdict.ok
    assert "'speed'" in verdict.reason


def test_extra_required_argument_is_rejected():
    expected = call(value=3, from_unit="km")
    args = {"value": 3, "from_unit": "km", "to_unit": None}
    verdict = match_call("convert_units", args, expected, CONVERT_SCHEMA)
    assert not verdict.ok
    assert "'to_unit'" in verdict.reason


def test_omitted_expected_argument_equal_to_default_is_accepted():
    expected = call(value=3, from_unit="km", to_unit="mi", precision=4)
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    assert match_call("convert_units", args, expected, CONVERT_SCHEMA).ok
    # without the schema the default is unknown
    assert match_call("convert_units", args, expected).reason == "missing argument 'precision'"


def test_omitted_expected_argument_not_equal_to_default_is_missing():
    expected = call(value=3, from_unit="km", to_unit="mi", precision=2)
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    verdict = match_call("convert_units", args, expected, CONVERT_SCHEMA)
    assert not verdict.ok
    assert verdict.reason == "missing argument 'precision'"


def test_null_equals_default_none():
    # expected null, prediction omits the parameter whose default is None
    expected = call(value=3, from_unit="km", to_unit="mi", note=None)
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    assert match_call("convert_units", args, expected, CONVERT_SCHEMA).ok
    # prediction passes null explicitly where the expected call omits it
    args_null = {"value": 3, "from_unit": "km", "to_unit": "mi", "note": None}
    assert match_call("convert_units", args_null, EXPECTED, CONVERT_SCHEMA).ok
    # but a non-null value is not the default
    args_text = {"value": 3, "from_unit": "km", "to_unit": "mi", "note": "hi"}
    verdict = match_call("convert_units", args_text, EXPECTED, CONVERT_SCHEMA)
    assert verdict.reason == "extra argument 'note'='hi' (default None)"


def test_null_for_optional_parameter_without_schema_default_is_a_value():
    # FORMAT.md: null equals a parameter whose default is None; with no default in the schema
    # none is known, so null is an added value like any other
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "label": None}
    verdict = match_call("convert_units", args, EXPECTED, CONVERT_SCHEMA)
    assert not verdict.ok and verdict.reason == "extra argument 'label'=None"
    expected = call(value=3, from_unit="km", to_unit="mi", label=None)
    omitted = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    assert match_call("convert_units", omitted, expected, CONVERT_SCHEMA).reason == (
        "missing argument 'label'"
    )


def test_numbers_have_no_absolute_tolerance_and_huge_integers_compare():
    assert not values_equal(0, 1e-13)
    assert not values_equal(1e-15, 1.1e-15)
    assert values_equal(10**400, 10**400 + 1)  # relative 1e-400: equal, and no OverflowError
    assert not values_equal(10**400, 1.0)
    assert not values_equal(10**400, math.inf)


def test_null_for_required_parameter_is_not_omission():
    expected = call(value=3, from_unit="km", to_unit=None)
    args = {"value": 3, "from_unit": "km"}
    verdict = match_call("convert_units", args, expected, CONVERT_SCHEMA)
    assert verdict.reason == "missing argument 'to_unit'"


def test_expected_value_compared_to_default_with_value_rules():
    expected = call(value=3, from_unit="km", to_unit="mi", precision=4.0)
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    assert match_call("convert_units", args, expected, CONVERT_SCHEMA).ok
    schema = {"properties": {"mode": {"type": "string", "default": "Fast"}}, "required": []}
    assert match_call("f", {}, call("f", mode=" fast"), schema).ok
    assert match_call("f", {"mode": "FAST"}, call("f"), schema).ok
    assert not match_call("f", {"mode": "slow"}, call("f"), schema).ok


# --- match_any ----------------------------------------------------------------------------


ALTERNATIVES = [
    call(value=3, from_unit="km", to_unit="mi"),
    call(value=3000, from_unit="m", to_unit="mi"),
]


def test_match_any_accepts_any_alternative():
    assert match_any(
        "convert_units", {"value": 3, "from_unit": "km", "to_unit": "mi"}, ALTERNATIVES
    ).ok
    second = {"value": 3000.0, "from_unit": "M", "to_unit": "mi"}
    assert match_any("convert_units", second, ALTERNATIVES).ok


def test_match_any_rejects_and_reports_closest():
    args = {"value": 3000, "from_unit": "m", "to_unit": "miles"}
    verdict = match_any("convert_units", args, ALTERNATIVES)
    assert not verdict.ok
    assert verdict.reason == "argument 'to_unit': expected 'mi', got 'miles'"


def test_match_any_prefers_same_tool_name():
    expected = [call("date_calc", date="2025-01-01"), call(value=3, from_unit="km", to_unit="mi")]
    args = {"date": "2025-01-01"}
    verdict = match_any("convert_units", args, expected)
    assert not verdict.ok
    assert "tool:" not in verdict.reason
    assert "missing argument" in verdict.reason


def test_match_any_wrong_tool_everywhere():
    verdict = match_any("date_calc", {}, ALTERNATIVES)
    assert verdict.reason == "tool: expected convert_units, got date_calc"


def test_match_any_uses_schema_defaults():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "precision": 4}
    assert match_any("convert_units", args, ALTERNATIVES, CONVERT_SCHEMA).ok
    assert not match_any("convert_units", args, ALTERNATIVES).ok


def test_match_any_with_no_expected_calls():
    assert not match_any("convert_units", {}, []).ok


# --- lenient_match_any --------------------------------------------------------------------


def test_lenient_ignores_extras():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi", "precision": 2, "junk": "x"}
    assert lenient_match_any("convert_units", args, ALTERNATIVES).ok
    assert not match_any("convert_units", args, ALTERNATIVES, CONVERT_SCHEMA).ok


def test_lenient_compares_str_forms():
    expected = [call("date_calc", year=2025, flag=True, unit="Days")]
    assert lenient_match_any(
        "date_calc", {"year": "2025", "flag": "true", "unit": " days "}, expected
    ).ok
    assert lenient_match_any("date_calc", {"year": 2025, "flag": True, "unit": "DAYS"}, expected).ok


def test_lenient_is_literal_about_numbers():
    # str(3) != str(3.0): the paper's rule is a plain string match
    expected = [call(value=3, from_unit="km", to_unit="mi")]
    assert not lenient_match_any(
        "convert_units", {"value": 3.0, "from_unit": "km", "to_unit": "mi"}, expected
    ).ok


def test_lenient_rejects_wrong_value_and_missing_argument():
    wrong = lenient_match_any(
        "convert_units", {"value": 3, "from_unit": "km", "to_unit": "km"}, ALTERNATIVES
    )
    assert not wrong.ok
    assert "'to_unit'" in wrong.reason
    missing = lenient_match_any("convert_units", {"value": 3, "to_unit": "mi"}, ALTERNATIVES)
    assert not missing.ok
    assert "missing argument 'from_unit'" in missing.reason


def test_lenient_requires_tool_name():
    args = {"value": 3, "from_unit": "km", "to_unit": "mi"}
    verdict = lenient_match_any("date_calc", args, ALTERNATIVES)
    assert not verdict.ok
    assert verdict.reason == "tool: expected convert_units, got date_calc"


def test_lenient_any_alternative():
    assert lenient_match_any(
        "convert_units", {"value": "3000", "from_unit": "m", "to_unit": "mi"}, ALTERNATIVES
    ).ok
