"""The rule check on optional choices (`ste.checks.options`): a choice or a flag other than
its default that the request does not name is a doubt, with a question for the judge."""

import pytest

from ste.checks.options import names_in, options_asked
from ste.tools.tool import Tool
from test_distill import step, trial

DAYS = Tool(
    "count_days",
    "Count the days between two dates.",
    {
        "type": "object",
        "properties": {
            "start": {"type": "string", "description": "Start date."},
            "day_type": {
                "type": "string",
                "default": "calendar",
                "description": "Which days count: 'calendar' (every day, default) or "
                "'business' (Monday to Friday).",
            },
            "unit": {
                "type": "string",
                "enum": ["km", "mi"],
                "default": "km",
                "description": "Distance unit: 'km' (default) or 'mi' (statute miles).",
            },
            "inclusive": {"type": "boolean", "default": False, "description": "Count the start."},
            "note": {"type": "string", "default": "", "description": "Any text."},
        },
        "required": ["start"],
    },
    lambda **_: {},
)


def _check(arguments, query):
    call = step("count_days", {"start": "2024-01-01", **arguments}, '{"days": 3}', True)
    return options_asked(trial([call], final="3 days", query=query, tool="count_days"), DAYS)


@pytest.mark.parametrize(
    ("arguments", "query"),
    [
        ({"day_type": "business"}, "How many business days since New Year 2024?"),
        ({"day_type": "business"}, "Days from Monday to Friday only since 2024-01-01?"),
        ({"unit": "mi"}, "How far, in miles?"),  # a word of the gloss 'statute miles'
        ({"unit": "mi"}, "How far is it in mi?"),  # the code itself
        ({"inclusive": True}, "Days since 2024-01-01, including the start?"),  # same stem
        ({"day_type": "calendar", "unit": "km"}, "Days since 2024-01-01?"),  # the defaults
        ({"note": "anything"}, "Days since 2024-01-01?"),  # free text: not a closed choice
    ],
)
def test_a_choice_the_request_names_passes(arguments, query):
    assert _check(arguments, query).ok


def test_a_choice_the_request_does_not_name_is_a_doubt_about_that_argument():
    check = _check({"day_type": "business"}, "How many days since 2024-01-01, only weekends?")
    assert not check.ok
    assert check.reason == 'day_type="business": an option the request does not name'
    assert check.question.startswith('The call passed day_type="business" (day_type: Which')
    assert "ask for that" in check.question


def test_a_flag_the_request_does_not_name_is_a_doubt():
    check = _check({"inclusive": True}, "How many days since 2024-01-01?")
    assert not check.ok and check.reason.startswith("inclusive=true")


def test_a_failed_call_is_not_judged_only_the_successful_ones():
    failed = step("count_days", {"start": "x", "day_type": "business"}, "Error: bad date", False)
    ok = step("count_days", {"start": "2024-01-01"}, '{"days": 3}', True)
    checked = trial([failed, ok], final="3 days", query="Days since 2024?", tool="count_days")
    assert options_asked(checked, DAYS).ok


def test_names_in_matches_words_stems_and_short_codes_only_as_themselves():
    assert names_in("sorted by rating", "rating")
    assert names_in("including both ends", "inclusive")
    assert not names_in("weekends only", "Monday to Friday")
    assert not names_in("a mile away", "mi")  # a code is matched as itself
    assert not names_in("weekdays", "weekends")  # 4 shared letters are not a stem
