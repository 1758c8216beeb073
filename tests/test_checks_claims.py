"""The rule checks that an answer's claims are the tool's (`ste.checks.claims`): dates it
writes out, values it quotes, and how much of a broad result it uses."""

import json

import pytest

from ste.checks.claims import answers_broadly, dates_from_results, picked_from_request
from test_distill import step, trial

DATE = json.dumps({"start_date": "2026-01-28", "days": 20, "result_date": "2026-02-17"})


@pytest.mark.parametrize(
    ("final", "ok"),
    [
        ("20 days after the last Tuesday of January 2026 is January 17, 2026.", False),
        ("It is February 17, 2026, a Tuesday.", True),
        ("It is the 17th of February.", True),
        ("It is 17 Feb 2026.", True),
        ("From January 28 it is February 17.", True),  # the call's start date
        ("It is 2026-02-17.", True),
        ("It is in February 2026.", True),  # no day: no date to check
        ("It is 17 March.", False),
    ],
)
def test_a_date_written_out_is_a_results_month_and_day(final, ok):
    case = trial(
        [step("date_calc", {"start_date": "2026-01-28", "days": 20}, DATE, True)],
        final=final,
        query="What is the date 20 days after the last Tuesday of January 2026?",
    )
    assert dates_from_results(case).ok is ok


def test_a_date_the_request_gives_may_be_restated():
    case = trial(
        [step("date_calc", {"start": "2023-01-01", "end": "2023-03-30"}, '{"days": 64}', True)],
        final="Between January 1st, 2023 and March 30th, 2023 there are 64 days.",
        query="How many days are there between January 1, 2023, and March 30, 2023?",
    )
    assert dates_from_results(case).ok


TOP = "I am learning to use a new tool today."


@pytest.mark.parametrize(
    ("result", "final", "ok"),
    [
        # the call counted sentences; the "top words" are picked out of the request's text
        ('{"value": 1}', 'One sentence. The top words are "am", "learning" and "new".', False),
        ('{"top": [["am", 1], ["new", 1]]}', 'The top words are "am" and "new".', True),
        ('{"value": 1}', f'"{TOP}" has 1 sentence.', True),  # the text, whole
        ('{"value": 1}', 'The word "learning" is there once.', True),  # one value, not a list
    ],
)
def test_values_quoted_from_inside_the_requests_text_are_no_result(result, final, ok):
    case = trial(
        [step("text_stats", {"text": TOP, "metric": "sentence_count"}, result, True)],
        final=final,
        query=f"Count the sentences in '{TOP}' and identify the top 3 words.",
    )
    assert picked_from_request(case).ok is ok


def test_values_each_passed_whole_may_be_quoted():
    steps = [
        step("base64", {"text": "hello"}, '{"result": "aGVsbG8="}', True),
        step("base64", {"text": "world"}, '{"result": "d29ybGQ="}', True),
    ]
    case = trial(
        steps,
        final='"hello" is "aGVsbG8=" and "world" is "d29ybGQ="',
        query="Encode hello and world in Base64",
    )
    assert picked_from_request(case).ok


COUNTRY = json.dumps(
    {
        "code": "USA",
        "name": "United States",
        "capital": "Washington, D.C.",
        "region": "Americas",
        "population": 334900000,
        "currency": "USD",
    }
)


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        (
            "I would like to know information about the country with the ISO code 'USA'.",
            "United States",
            False,
        ),
        (
            "Tell me about the country USA.",
            "The United States: capital Washington, D.C., population 334,900,000.",
            True,
        ),
        ("Tell me more about the country USA.", "United States, in the Americas.", True),
        ("Information about the capital of the USA?", "Washington, D.C.", True),  # a field
        ("What is the country with the code USA?", "United States", True),  # not broad
    ],
)
def test_a_request_for_information_uses_more_than_one_field(query, final, ok):
    case = trial([step("country_info", {"code": "USA"}, COUNTRY, True)], final=final, query=query)
    assert answers_broadly(case).ok is ok


def test_a_name_the_request_gives_is_no_information():
    canada = json.loads(COUNTRY) | {"code": "CAN", "name": "Canada", "capital": "Ottawa"}
    case = trial(
        [step("country_info", {"code": "CAN"}, json.dumps(canada), True)],
        final="Canada",
        query="I would like to know more about the country with the ISO code 'Canada'.",
    )
    assert not answers_broadly(case).ok


HOLIDAYS = json.dumps(
    {
        "count": 3,
        "holidays": [
            {"date": "2026-08-15", "weekday": "Saturday", "name": "Assumption Day"},
            {"date": "2026-11-01", "weekday": "Sunday", "name": "All Saints' Day"},
            {"date": "2026-11-11", "weekday": "Wednesday", "name": "Armistice Day"},
        ],
    }
)


@pytest.mark.parametrize(
    ("final", "ok"),
    [
        # the weekday of the holiday before carried over (xdev3)
        (
            "Assumption Day (Saturday), All Saints' Day (Saturday), Armistice Day (Wednesday).",
            False,
        ),
        ("Assumption Day (Saturday), All Saints' Day (Sunday), Armistice Day (Wednesday).", True),
        # the attribute written before the name
        ("Saturday: Assumption Day. Sunday: All Saints' Day. Wednesday: Armistice Day.", True),
        ("The holidays are Assumption Day, All Saints' Day and Armistice Day.", True),
        # two lists paired by their order
        ("Assumption Day and All Saints' Day fall on a Saturday and Sunday respectively.", True),
    ],
)
def test_each_record_an_answer_names_has_its_own_attributes(final, ok):
    from ste.checks.records import records_as_results

    case = trial(
        [step("public_holidays", {"country": "FR", "year": 2026}, HOLIDAYS, True)],
        final=final,
        query="Which public holidays does France have in autumn 2026?",
    )
    check = records_as_results(case)
    assert check.ok is ok, check.reason
    if not ok:
        assert "weekday 'Saturday'" in check.reason or "weekday 'Wednesday'" in check.reason
