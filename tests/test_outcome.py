"""Honest outcomes: a trial is solved by what happened, not by what the model said."""

import pytest

from ste.outcome import judge_outcome, numbers_in

RESULT = '{"result": 89.6, "unit": "F"}'


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ("It is 89.6 degrees Fahrenheit.", True),
        ("It is about 89.60 F.", True),
        ("It is 32.", False),  # the contradiction of a tool result
        ("Roughly 90 F.", True),  # 89.6 rounded
        ("It is hot: see ISBN-13 and step 2.", True),  # no number to check
    ],
)
def test_the_answers_numbers_must_come_from_the_results(answer, solved):
    outcome = judge_outcome("What is 32 C in F?", answer, [RESULT], ['{"celsius": 32}'], True)
    assert outcome.solved is solved, outcome.reason


def test_no_success_or_no_answer_or_no_query_is_not_solved():
    assert not judge_outcome("q", "89.6", [RESULT], [], succeeded=False).solved
    assert "no final answer" in judge_outcome("q", " ", [RESULT], [], True).reason
    copied = "<the answer to the user's query, from the tool results>"
    assert "no final answer" in judge_outcome("q", copied, [RESULT], [], True).reason
    assert not judge_outcome("", "89.6", [RESULT], [], True).solved


def test_numbers_are_read_as_written():
    assert numbers_in("1,024 items, -3.5 and 6.2e3; ISBN-13 step 2") == {1024.0, -3.5, 6200.0}


def test_a_code_from_the_results_supports_the_answer():
    digest = '{"digest": "f54e5c8f810648e7"}'
    answer = "The hash of '12345678' is 'f54e5c8f810648e7'."
    assert judge_outcome("hash 12345678", answer, [digest + ' {"size": 64}'], [], True).solved
    wrong = "The hash of '12345678' is 'aaaabbbb11112222'."
    assert not judge_outcome(
        "hash 12345678", wrong, ['{"digest": "f5", "size": 64}'], [], True
    ).solved


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ("It is 11:40 PM in Tokyo.", True),  # 23:40 on a 12-hour clock
        ("It is 23:40 in Tokyo.", True),
        ("It is 10:40 PM in Tokyo.", False),  # an hour off
    ],
)
def test_a_clock_time_may_be_answered_on_a_12_hour_clock(answer, solved):
    result = '{"datetime": "2026-12-02T23:40:00+09:00"}'
    outcome = judge_outcome("What time is it in Tokyo?", answer, [result], [], True)
    assert outcome.solved is solved, outcome.reason


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ("It is 11:00 PM on August 14, 2024 in Los Angeles.", True),  # the result's date, in words
        ("It is 11:00 PM on August 17, 2024 in Los Angeles.", False),  # a day no one gave
    ],
)
def test_a_date_of_the_results_may_be_answered_in_words(answer, solved):
    result = '{"date": "2024-08-14", "time": "23:00", "day_shift": -1}'
    query = "Convert 1:00 AM on August 15, 2024 from Chicago to Los Angeles time."
    outcome = judge_outcome(query, answer, [result], [], True)
    assert outcome.solved is solved, outcome.reason


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ("Under 30 minutes: Caprese Salad and Penne Arrabbiata.", True),  # names from the results
        ("Under 30 minutes you could make a risotto.", False),  # repeats the request's 30 only
        ("Italian dishes under 30 minutes exist.", False),  # 'italian' was the request's word
    ],
)
def test_an_answer_naming_what_the_results_found_draws_on_them(answer, solved):
    results = [
        '{"total": 2, "recipes": [{"name": "Caprese Salad", "cuisine": "italian", "minutes": 10},'
        ' {"name": "Penne Arrabbiata", "cuisine": "italian", "minutes": 25}]}'
    ]
    query = "Italian dishes under 30 minutes?"
    outcome = judge_outcome(query, answer, results, ['{"cuisine": "italian"}'], True)
    assert outcome.solved is solved, outcome.reason


def test_a_value_the_answer_quotes_must_come_from_the_request_or_a_result():
    encoded = '{"mode": "encode", "result": "U0dWc2JHOD0="}'
    query = "Decode the Base64 string SGVsbG8= to plain text."
    outcome = judge_outcome(query, 'It decodes to "Hello".', [encoded], [], True)
    assert not outcome.solved and "'Hello'" in outcome.reason
    said = 'It encodes to "U0dWc2JHOD0=", the text being \u201cSGVsbG8=\u201d.'
    assert judge_outcome(query, said, [encoded], [], True).solved
    path = '{"path": "/v1/caf\\u00e9"}'  # a JSON result's escaped text, quoted decoded
    assert judge_outcome(
        "Path of the URL?", 'The path is "/v1/caf\u00e9".', [path], [], True
    ).solved


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ('It is "16:30 UTC".', True),  # the result's time and its zone's abbreviation
        ('It is "2026-12-06 16:30:00".', True),  # its date and time, zero seconds aside
        ('It is "16:30 EST".', False),  # a zone no result gives
        ('It is "16:30 UT".', False),  # words count whole, not inside longer ones
    ],
)
def test_a_quoted_value_of_several_words_may_join_a_results_values(answer, solved):
    result = (
        '{"date": "2026-12-06", "time": "16:30", "utc_offset": "+00:00", "abbreviation": "UTC"}'
    )
    outcome = judge_outcome("17:30 in Paris, in UTC?", answer, [result], [], True)
    assert outcome.solved is solved, outcome.reason


def test_a_date_the_answer_states_must_come_from_the_request_or_a_result():
    holidays = '{"holidays": [{"date": "2026-05-14", "name": "Ascension Day"}]}'
    query = "When is Ascension Day in France in 2026?"
    wrong = judge_outcome(query, "Ascension Day is on 2026-05-04.", [holidays], [], True)
    assert not wrong.solved and "2026-05-04" in wrong.reason
    assert judge_outcome(query, "Ascension Day is on 2026-05-14.", [holidays], [], True).solved


@pytest.mark.parametrize(
    ("answer", "solved"),
    [
        ("2.2.5 is older than 2.2.10.", True),  # versions, no numbers to find in a result
        ("2.2.5 is older than 2.2.11.", False),  # a version nothing holds
        ("The broadcast address is 10.20.3.255.", True),
        ("The broadcast address is 10.20.3.254.", False),
    ],
)
def test_a_dotted_identifier_is_no_number_but_must_come_from_a_source(answer, solved):
    results = ['{"comparison": -1, "newer": "b", "patch": 10, "broadcast": "10.20.3.255"}']
    outcome = judge_outcome(
        "Compare 2.2.5 and 2.2.10; and the broadcast of 10.20.0.0/22?", answer, results, [], True
    )
    assert outcome.solved is solved, outcome.reason
    assert numbers_in("version 2.2.10 of 2024") == {2024.0}
