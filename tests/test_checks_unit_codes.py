"""A unit the request names is the unit passed: a code for another unit of the same kind
converts another quantity, and the tool answers without complaint."""

import pytest

from ste.checks.unit_codes import unit_codes_as_asked, units_named
from test_distill import step, trial


@pytest.mark.parametrize(
    ("query", "arguments", "ok"),
    [
        # another unit of the kind the request names
        ("Convert 3 miles to feet.", {"value": 3, "from_unit": "m", "to_unit": "ft"}, False),
        ("Convert 100 cm to kilometers.", {"value": 100, "from_unit": "cm", "to_unit": "m"}, False),
        ("How far is Paris from Rome in miles?", {"unit": "km"}, False),
        # the units the request names, as codes or words
        ("Convert 3 miles to feet.", {"value": 3, "from_unit": "mi", "to_unit": "ft"}, True),
        ("Convert 3 m to feet.", {"value": 3, "from_unit": "m", "to_unit": "ft"}, True),
        ("Convert 5 kg to pounds.", {"value": 5, "from_unit": "kg", "to_unit": "lb"}, True),
        ("How many meters is 2 km?", {"value": 2, "from_unit": "km", "to_unit": "m"}, True),
        # 'm' read by the request's kind: minutes here, and the request names minutes
        ("How many minutes is 2 hours?", {"from": "h", "to": "m"}, True),
        # nothing to compare: no unit named, or a code the vocabulary does not know
        ("How far is Paris from Rome?", {"unit": "km"}, True),
        ("What is 100 degF in Celsius?", {"from_unit": "degF", "to_unit": "degC"}, True),
        ("How far is Paris from Rome in nautical miles?", {"unit": "nmi"}, True),
    ],
)
def test_a_unit_passed_is_one_the_request_names(query, arguments, ok):
    call = step("convert", arguments, '{"value": 1}', True)
    check = unit_codes_as_asked(trial([call], query=query))
    assert check.ok is ok, check.reason


def test_the_reason_names_both_units():
    call = step("convert", {"value": 3, "from_unit": "m", "to_unit": "ft"}, '{"value": 9.8}', True)
    check = unit_codes_as_asked(trial([call], query="Convert 3 miles to feet."))
    assert "from_unit='m' is metres" in check.reason and "miles" in check.reason


def test_a_failed_call_is_not_judged():
    failed = step("convert", {"from_unit": "m"}, "Error: unknown unit", False)
    right = step("convert", {"from_unit": "mi", "to_unit": "ft"}, '{"value": 15840}', True)
    assert unit_codes_as_asked(trial([failed, right], query="3 miles in feet?")).ok


def test_units_named_reads_codes_only_as_units():
    assert units_named("Convert 3 m to ft") == {("length", "metre"), ("length", "foot")}
    # 'in' and 'm' as words of the sentence are no units
    assert units_named("I'm in Paris") == set()
