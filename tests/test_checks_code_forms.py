"""A code of another length than the codes the tool's description shows
(`ste.checks.code_forms`), checked before a call runs."""

import pytest

from ste.agent.trajectory import CallRecord
from ste.checks.code_forms import example_codes
from ste.icl.request_check import fix_kept
from ste.icl.revision import failing
from ste.tools import load_tools


@pytest.fixture
def country(toolboxes):
    (tool,) = load_tools(str(toolboxes / "countries.py"))
    return tool


def test_the_codes_a_description_quotes_are_its_examples():
    assert example_codes({"description": "ISO alpha-3 code, e.g. 'FRA' or \"JPN\""}) == [
        "FRA",
        "JPN",
    ]
    assert example_codes({"description": "a code such as fra or FRANCE"}) == []


@pytest.mark.parametrize(
    ("code", "fails"),
    [("CH", True), ("che", False), ("CHE", False), ("Switz", True), ("C1", False)],
)
def test_a_code_of_another_length_than_the_examples_fails_before_it_runs(country, code, fails):
    call = CallRecord(name="country_info", arguments={"code": code})
    assert ("codes_as_shown" in failing(call, "Facts about Switzerland?", country)) is fails


def test_a_code_of_the_examples_length_stands_against_one_of_another(country):
    query = "What is the capital of Switzerland?"
    before = CallRecord(name="country_info", arguments={"code": "CH"})
    after = CallRecord(name="country_info", arguments={"code": "CHE"})
    assert fix_kept(before, after, query, country) is after
    assert fix_kept(after, before, query, country) is after


def test_a_parameter_whose_examples_have_several_lengths_takes_either(tmp_path):
    toolbox = tmp_path / "airports.py"
    toolbox.write_text(
        "def airport(code: str) -> dict:\n"
        '    """Facts about an airport.\n\n    Args:\n'
        "        code: IATA or ICAO code, e.g. 'CDG' or 'LFPG'.\n"
        '    """\n'
        "    return {'code': code}\n"
    )
    (tool,) = load_tools(str(toolbox))
    for code, fails in (("JFK", False), ("KJFK", False), ("NY", True)):
        call = CallRecord(name="airport", arguments={"code": code})
        assert ("codes_as_shown" in failing(call, "the airport of New York", tool)) is fails
