"""times_as_asked: a 12-hour time the request writes is passed as that time on the 24-hour
clock."""

import pytest

from ste.checks.times import asked_times, times_as_asked
from test_distill import step, trial


@pytest.mark.parametrize(
    ("query", "times"),
    [
        ("Convert 10:30 PM in Paris to UTC.", {"10:30 PM": "22:30"}),
        ("What is 12:00 AM in Tokyo?", {"12:00 AM": "00:00"}),
        ("At 7 pm and at 9 a.m., please.", {"7 pm": "19:00", "9 a.m.": "09:00"}),
        ("Convert 17:00 AM in New York.", {}),  # no such time: the request is incoherent
        ("Convert 22:30 in Paris to UTC.", {}),
    ],
)
def test_twelve_hour_times_are_read_on_the_24_hour_clock(query, times):
    assert asked_times(query) == times


def _convert(time: str, observation: str = '{"time": "21:30"}'):
    return step("convert_time", {"time": time, "from_tz": "Europe/Paris"}, observation, True)


@pytest.mark.parametrize(
    ("query", "passed", "ok"),
    [
        ("Convert 10:30 PM in Paris to UTC.", "22:30", True),
        ("Convert 10:30 PM in Paris to UTC.", "20:30", False),
        ("What is 12:00 AM Paris time in Tokyo?", "12:00", False),  # midnight passed as noon
        ("What is 12:00 PM Paris time in Tokyo?", "12:00", True),
        ("Convert 22:30 in Paris to UTC.", "20:30", True),  # no 12-hour time: not this check's
    ],
)
def test_a_call_passes_the_time_the_request_writes(query, passed, ok):
    check = times_as_asked(trial([_convert(passed)], query=query, tool="convert_time"))
    assert check.ok is ok, check
    if not ok:
        assert "the request says" in check.reason and repr(passed) in check.reason


def test_a_time_an_earlier_result_gave_may_be_passed_on():
    first = _convert("22:30", '{"time": "21:30"}')
    second = _convert("21:30", '{"time": "05:30"}')
    query = "It is 10:30 PM in Paris: what time is it in UTC, and then in Tokyo?"
    assert times_as_asked(trial([first, second], query=query, tool="convert_time")).ok


@pytest.mark.parametrize(
    ("query", "passed", "fix"),
    [
        ("Convert 10:30 PM in Paris to UTC.", "20:30", {"time": "22:30"}),
        ("Convert 10:30 PM in Paris to UTC.", "20:30:00", {"time": "22:30:00"}),
        ("Is 9 AM or 10:30 PM in Paris later in UTC?", "20:30", {}),  # which one: not known
    ],
)
def test_the_one_time_asked_is_offered_in_its_place(query, passed, fix):
    check = times_as_asked(trial([_convert(passed)], query=query, tool="convert_time"))
    assert not check.ok and check.fix == fix


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("It is 08:30 in Auckland.", {"08:30"}),
        ("It is 8:30 PM, or 3 p.m. there, and 15:00 PM here.", {"20:30", "15:00"}),
        ("Midnight is 12:00 AM; noon 12 PM.", {"00:00", "12:00"}),
        ("The ratio is 16:9 and it took 30 minutes.", set()),
    ],
)
def test_the_times_a_text_states_on_the_24_hour_clock(text, times):
    from ste.checks.times import stated_times

    assert stated_times(text) == times


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("It is 08:30 in Auckland.", True),
        ("It is 8:30 AM in Auckland, 2:30 PM in New York.", True),  # the request's time
        ("It is 08:30 PM in Auckland.", False),  # the result's 08:30 made 20:30
        ("08:30 in Auckland is 05:30 AM Eastern.", False),  # a time nothing computed
        ("It is half past eight in Auckland.", True),  # no time written as one
    ],
)
def test_a_time_the_answer_states_comes_from_a_result(answer, ok):
    from ste.checks.times import times_from_results

    converted = _convert("14:30", '{"time": "08:30", "utc_offset": "+13:00"}')
    asked = trial([converted], query="2:30 PM in New York, in Auckland?", tool="convert_time")
    asked.final_answer = answer
    check = times_from_results(asked)
    assert check.ok is ok, check


def test_a_utc_offset_the_request_names_is_passed_or_held_by_a_result():
    from ste.checks.times import offsets_used

    result = '{"result": "2023-11-14T22:13:20Z", "unix": 1700000000}'
    to_iso = step("unix_time", {"value": "1700000000", "to": "iso"}, result, True)
    query = "Convert the Unix timestamp '1700000000' to ISO 8601, and give it as UTC+03:00."
    check = offsets_used(trial([to_iso], query=query, tool="unix_time"))
    assert not check.ok and "+03:00" in check.reason
    # passed inside a timestamp, the offset is used
    asked = "What is the Unix time of December 5, 2026, 12:30 with a UTC offset of +02:00?"
    passed = step("unix_time", {"value": "2026-12-05T12:30:00+02:00", "to": "unix"}, "{}", True)
    assert offsets_used(trial([passed], query=asked, tool="unix_time")).ok
    # "GMT-5" is -05:00, which a result may hold
    held = step("convert", {"time": "12:00"}, '{"utc_offset": "-05:00"}', True)
    assert offsets_used(trial([held], query="12:00 UTC in GMT-5?", tool="convert")).ok
    assert offsets_used(trial([to_iso], query="Convert 1700000000 to ISO 8601.")).ok
