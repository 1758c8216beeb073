"""Checks read from the bundled tools' labelled trials: the user's content reaches the call
as given (`ste.checks.content`), the answer copies digests and encodings from the results
(`ste.outcome.copied_codes`), speaks of the user's values, not the tool's parameters, and
the request is not under a template's label."""

import json

import pytest

from ste.checks.claims import answered_in_users_terms
from ste.checks.content import content_given, content_parameters
from ste.checks.requests import natural_query
from ste.outcome import copied_codes, judge_outcome
from ste.tools.tool import Tool
from test_distill import step, trial


def _tool(name: str, properties: dict) -> Tool:
    schema = {"type": "object", "properties": properties, "required": list(properties)}
    return Tool(name, f"The {name} tool.", schema, lambda **_: {})


ENCODE = _tool(
    "encode",
    {
        "text": {"type": "string", "description": "The text to encode."},
        "mode": {"type": "string", "enum": ["encode", "decode"]},
    },
)
SPLIT = _tool("split", {"address": {"type": "string", "description": "The URL to split."}})
VERSIONS = _tool("compare", {"version_a": {"type": "string"}, "version_b": {"type": "string"}})


def test_content_parameters_are_named_or_described_as_the_users_content():
    assert content_parameters(ENCODE) == ["text"]
    assert content_parameters(SPLIT) == ["address"]
    assert content_parameters(VERSIONS) == []


@pytest.mark.parametrize(
    ("query", "text", "ok"),
    [
        ("I need to encode a string to Base64 for transmission.", "This is a test string.", False),
        ('Encode "Hello, World!" to Base64.', "Hello, World!", True),
        ("Encode hello world, please.", "Hello  World", True),  # case and spacing aside
        ('Encode "a b" to Base64.', "a%20b", True),  # a URL's %-escapes aside
    ],
)
def test_content_must_be_the_requests(query, text, ok):
    calls = [step("encode", {"text": text, "mode": "encode"}, '{"result": "x"}', True)]
    check = content_given(trial(calls, query=query, tool="encode"), ENCODE)
    assert check.ok is ok, check.reason


def test_content_from_an_earlier_result_is_given():
    calls = [
        step("encode", {"text": "hi", "mode": "encode"}, '{"result": "aGk="}', True),
        step("encode", {"text": "aGk=", "mode": "decode"}, '{"result": "hi"}', True),
    ]
    query = "Encode hi, then decode what you get."
    assert content_given(trial(calls, query=query, tool="encode"), ENCODE).ok


def test_codes_the_answer_writes_must_be_copied_from_a_result():
    digest = "ffb38bf0a2b45140de761ab7bff7226f"
    result = json.dumps({"digest": digest})
    query = 'The MD5 of "abc"?'
    assert judge_outcome(query, f"It is {digest}.", [result], [], True).solved
    mistyped = digest.replace("ffb3", "fffb")
    outcome = judge_outcome(query, f"It is {mistyped}.", [result], [], True)
    assert not outcome.solved and "fffb" in outcome.reason
    assert copied_codes("ISO-8601, base64url, deadbeef and 2026-12-07") == []
    assert copied_codes("mask ffff:ffff:: and SGVsbG8sIFdvcmxkIQ==") == [
        "ffff:ffff",
        "SGVsbG8sIFdvcmxkIQ==",
    ]


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        ("Is 2.0.0 later than 1.0.0-rc.1?", "version_b is later than version_a.", False),
        ("Is 2.0.0 later than 1.0.0-rc.1?", "Yes: 2.0.0 is later than 1.0.0-rc.1.", True),
        ("Which is later, version_a=1.0 or version_b=2.0?", "version_b is later.", True),
    ],
)
def test_the_answer_speaks_of_the_users_values(query, final, ok):
    calls = [step("compare", {"version_a": "2.0.0", "version_b": "1.0.0-rc.1"}, "{}", True)]
    check = answered_in_users_terms(trial(calls, final=final, query=query), VERSIONS)
    assert check.ok is ok, check.reason


def test_a_request_under_a_templates_label_is_not_natural():
    labelled = natural_query('User input: "Is the ISBN 978-0-306-40615-7 valid?"')
    assert not labelled.ok and "User input:" in labelled.reason
    assert natural_query("Input the number 1994 as Roman numerals, please.").ok


def test_numbers_listed_with_their_names_are_each_passed():
    from ste.checks.numbers import number_beside

    query = "What are the classes of 400 Bad Request, 500 Internal Server Error, and 301?"
    assert number_beside(query, 400, {400.0}) == "500"
    assert number_beside(query, 400, {400.0, 500.0, 301.0}) is None
    # numbers of other sizes in a list are other things: a loan's amount, rate and years
    assert number_beside("A $400 loan at 5%, 30 years", 400, {400.0, 5.0, 360.0}) is None


def test_the_helper_asking_the_user_to_enter_a_value_is_no_request():
    asked = "To convert 1700000000 to ISO 8601, please enter the Unix epoch timestamp."
    assert not natural_query(asked).ok


def test_an_answer_that_only_repeats_what_the_call_passed_says_nothing():
    from ste.checks.literals import answer_not_echoed

    calls = [step("isbn", {"isbn": "9780306406157"}, '{"valid": true}', True)]
    query = "I'm ordering a book. The ISBN is 9780306406157."
    assert not answer_not_echoed(trial(calls, final="9780306406157", query=query)).ok
    said = "Yes, 9780306406157 is a valid ISBN-13."
    assert answer_not_echoed(trial(calls, final=said, query=query)).ok
