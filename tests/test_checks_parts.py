"""The rule checks that every part of a request is used (`ste.checks.parts`): a quantity it
states is passed or held by a result, a list it asks for is named in the answer, and no
call converts a value into itself."""

import json

import pytest

from ste.checks.parts import (
    all_returned,
    both_answered,
    ends_differ,
    fields_answered,
    list_answered,
    quantities_used,
)
from test_distill import step, trial


def _distance(query, arguments, result='{"distance": 343.6, "unit": "km"}', final="343.6 km"):
    call = step("city_distance", arguments, result, True)
    return trial([call], final=final, query=query, tool="city_distance")


@pytest.mark.parametrize(
    ("query", "arguments", "result"),
    [
        ("Convert 5 kilometers to miles.", {"value": 5, "from": "km", "to": "mi"}, "{}"),
        ("A loan over 30 years", {"term_months": 360}, "{}"),  # converted: 30 x 12
        ("Recipes under 30 minutes", {"max_minutes": 30}, "{}"),
        ("Five recipes that take half an hour", {"limit": 5}, '{"minutes": 30}'),
        ("Energy of a 750g serving of pasta", {"food": "pasta", "grams": 750.0}, "{}"),
        ("What is 15% of 80?", {"expression": "0.15 * 80"}, "{}"),  # 15 / 100, in a string
        ("Add 2 weeks to 2024-01-01", {"date": "2024-01-01", "days": 14}, "{}"),  # 2 x 7
        ("Holidays in the next 30 days", {"year": 2024}, '{"window_days": 30}'),  # a result
        ("Distance from Paris to London?", {"from_city": "Paris"}, "{}"),  # no quantity
        ("Convert 12:00 AM EST to CST", {"time": "00:00"}, "{}"),  # a clock time
        ("The date 45 days before 2025-02-10?", {"start_date": "2025-02-10", "days": -45}, "{}"),
        ("A $35,000 car with 20% down", {"amount": 35000, "down_payment": 7000}, "{}"),  # a share
    ],
)
def test_a_quantity_passed_converted_or_in_a_result_is_used(query, arguments, result):
    check = quantities_used(_distance(query, arguments, result))
    assert check.ok, check.reason


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ("Calculate the distance between Paris and London by 6 hours.", "6 hours"),
        ("The distance from New York to Paris by 48 hours using miles.", "48 hours"),
        ("Energy of pasta for a 70 years old", "70 years"),
        ("The distance from Paris to London in twelve minutes", "twelve minutes"),
    ],
)
def test_a_quantity_no_call_took_is_a_part_left_out(query, said):
    check = quantities_used(_distance(query, {"from_city": "Paris", "to_city": "London"}))
    assert not check.ok
    assert repr(said) in check.reason


def test_a_failed_call_does_not_use_a_quantity():
    failed = step("city_distance", {"hours": 6}, "Error: unknown parameter 'hours'", False)
    ok = step("city_distance", {"from_city": "Paris"}, '{"distance": 343.6}', True)
    case = trial([failed, ok], final="343.6 km", query="Paris to London by 6 hours")
    assert not quantities_used(case).ok


HOLIDAYS = json.dumps(
    {
        "holidays": [
            {"date": "2025-01-01", "name": "New Year"},
            {"date": "2025-05-01", "name": "Labour Day"},
        ]
    }
)


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        ("The public holidays of 2025 in France?", "There are 2 public holidays.", False),
        ("The public holidays of 2025 in France?", "New Year (Jan 1) and Labour Day.", True),
        ("How many public holidays does France have in 2025?", "There are 2.", True),
        ("The number of holidays in France in 2025?", "2 holidays.", True),
    ],
)
def test_a_list_asked_for_is_answered_by_name_unless_a_count_is_asked(query, final, ok):
    case = trial(
        [step("public_holidays", {"year": 2025}, HOLIDAYS, True)], final=final, query=query
    )
    assert list_answered(case).ok is ok


def test_a_list_beside_what_was_asked_need_not_be_named():
    country = json.dumps(
        {"capital": "Paris", "languages": [{"name": "French"}, {"name": "Breton"}]}
    )
    case = trial(
        [step("country_info", {"code": "FRA"}, country, True)],
        final="Paris.",
        query="What is the capital of France?",
    )
    assert list_answered(case).ok
    asked = trial(
        [step("country_info", {"code": "FRA"}, country, True)],
        final="Paris.",
        query="Which languages are spoken in France?",
    )
    assert not list_answered(asked).ok


def test_a_result_of_numbers_or_of_a_list_not_asked_for_lists_nothing():
    unasked = json.dumps({"holidays": [{"name": "New Year"}]})
    numbers = json.dumps({"values": [{"x": 1}, {"x": 2}]})
    for result in (unasked, numbers, "not json"):
        case = trial([step("t", {}, result, True)], final="done", query="List them")
        assert list_answered(case).ok


def test_a_list_of_one_record_asked_for_is_named():
    """A search that found one recipe answered with nine others (a dev exploration)."""
    one = json.dumps({"total_matches": 1, "recipes": [{"name": "Vegetable Red Curry"}]})
    query = "Find the top 10 vegetarian Thai recipes."
    made_up = trial(
        [step("search_recipes", {}, one, True)], final="Stir-fry rice, ...", query=query
    )
    named = trial(
        [step("search_recipes", {}, one, True)], final="Vegetable Red Curry.", query=query
    )
    assert not list_answered(made_up).ok
    assert list_answered(named).ok


@pytest.mark.parametrize(
    ("arguments", "ok"),
    [
        ({"from_tz": "America/Chicago", "to_tz": "America/Chicago"}, False),
        ({"source_lang": "en", "target_lang": "en"}, False),
        ({"from_tz": "America/Chicago", "to_tz": "America/Denver"}, True),
        ({"from_tz": None, "to_tz": None}, True),
        ({"start_date": "2025-01-01", "end_date": "2025-01-01"}, True),  # one day, a real span
    ],
)
def test_a_call_converting_a_value_into_itself_is_caught(arguments, ok):
    case = trial([step("convert_time", arguments, "{}", True)], query="CST to CDT at 1:30")
    check = ends_differ(case)
    assert check.ok is ok, check.reason


@pytest.mark.parametrize(
    ("query", "arguments", "ok"),
    [
        ("Is this ISBN valid? Please provide the ISBN number.", {"isbn": "9780306406157"}, False),
        ("Describe the subnet of a CIDR block.", {"cidr": "10.0.0.0/8"}, False),
        ("Is 978-0-306-40615-7 a valid ISBN?", {"isbn": "9780306406157"}, True),  # joined
        ("Is 978-0-306-40615-7 a valid ISBN?", {"isbn": "9781234567897"}, False),
        ("Is 9780306406157 a valid ISBN?", {"isbn": "9780306406157"}, True),
        ("Describe 192.168.1.0/24.", {"cidr": "192.168.1.0/24"}, True),
        ("What is 17.5% of 2,340?", {"expression": "0.175*2340"}, True),  # converted numbers
        ("three thousand eight hundred eighty-eight in Roman numerals", {"value": "3888"}, True),
        ("6:45 pm in London on July 4, 2025 in Los Angeles?", {"time": "18:45"}, True),  # clock
        ("Midnight on December 5, 2026 as Unix time", {"value": "2026-12-05T00:00:00Z"}, True),
        ("Convert EST to Paris time", {"to_tz": "Europe/Paris"}, True),  # no digits
    ],
)
def test_an_identifier_the_call_passes_comes_from_the_request(query, arguments, ok):
    from ste.checks.literals import identifiers_given

    check = identifiers_given(trial([step("t", arguments, "{}", True)], query=query))
    assert check.ok is ok, check.reason


def test_an_identifier_from_an_earlier_result_is_given():
    from ste.checks.literals import identifiers_given

    listed = step("search", {"q": "books"}, '{"isbns": ["9780306406157"]}', True)
    checked = step("validate", {"isbn": "9780306406157"}, '{"valid": true}', True)
    assert identifiers_given(trial([listed, checked], query="Validate the first book's ISBN")).ok


RECIPES6 = json.dumps(
    {"total_matches": 6, "returned": 5, "recipes": [{"name": f"Dish {i}"} for i in range(5)]}
)
ALL6 = json.dumps({"total_matches": 6, "recipes": [{"name": f"Dish {i}"} for i in range(6)]})


@pytest.mark.parametrize(
    ("query", "results", "ok"),
    [
        ("Find all vegetarian recipes with onion.", [RECIPES6], False),
        ("Find every vegetarian recipe with onion.", [RECIPES6], False),
        ("Find all vegetarian recipes with onion.", [RECIPES6, ALL6], True),  # called again
        ("Find five vegetarian recipes with onion.", [RECIPES6], True),  # not all asked
        ("Is onion used at all in vegetarian recipes?", [RECIPES6], True),
        ("Find all vegetarian recipes with onion.", ['{"total_pages": 9, "recipes": []}'], True),
    ],
)
def test_a_request_for_all_is_answered_from_a_call_that_returned_all(query, results, ok):
    steps = [step("search_recipes", {"ingredient": "onion"}, r, True) for r in results]
    check = all_returned(trial(steps, final="Dish 0, ...", query=query))
    assert check.ok is ok, check.reason
    if not ok:
        assert "5 of the 6" in check.reason


@pytest.mark.parametrize(
    ("query", "results", "final", "ok"),
    [
        # two sums asked, one number answered (from a call that summed the wrong numbers)
        (SUMS := "the sum of the first 10 numbers and the sum of the first 12 numbers",
         ['{"result": 21}'], "21", False),
        (SUMS, ['{"result": 55}', '{"result": 78}'], "55 and 78", True),
        (SUMS, ['{"result": 55}', '{"result": 78}'], "The sums are 55 and 78.", True),
        # one answer to one question; the ends of one distance are no two questions
        ("the sum of 2 and 3", ['{"result": 5}'], "5", True),
        ("the distance between the capital of France and the capital of Japan",
         ['{"distance_km": 9714.6}'], "9714.6 km", True),
    ],
)  # fmt: skip
def test_a_request_for_two_results_of_one_kind_is_answered_with_two(query, results, final, ok):
    steps = [step("calculate", {"expression": "x"}, r, True) for r in results]
    check = both_answered(trial(steps, final=final, query=query))
    assert check.ok is ok, check.reason


APPLE = json.dumps(
    {"food": "apple", "grams": 100.0, "energy_kcal": 52.0, "protein_g": 0.3, "fiber_g": 2.4}
)
NUTRIENTS = "The energy, protein and fiber content of 100 g of apple?"


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        (NUTRIENTS, "An apple of 100 grams has 0.3 grams of protein.", False),
        (NUTRIENTS, "52 kcal, 0.3 g protein, 2.4 g fiber.", True),  # by value
        (NUTRIENTS, "Energy 52, protein 0.3, fiber 2.4 grams.", True),
        (NUTRIENTS, "Energy: 52 kcal; protein: 0.3 g; fiber: 2 g.", True),  # rounded
        ("How much protein is in 100 g of apple?", "0.3 g of protein.", True),  # one asked
        # the food echoes the argument passed: not a thing asked for
        ("How much protein is in 100 g of food called apple?", "0.3 g.", True),
    ],
)
def test_each_result_field_a_request_names_is_answered(query, final, ok):
    call = step("nutrition_facts", {"food": "apple", "grams": 100}, APPLE, True)
    check = fields_answered(trial([call], final=final, query=query))
    assert check.ok is ok, check.reason
    if not ok:
        assert "energy_kcal=52.0" in check.reason and "fiber_g=2.4" in check.reason


@pytest.mark.parametrize(
    ("query", "passed", "ok"),
    [
        ("What is (2 * 3 + 1) * 4 ** 2?", "2 * 3 + 1 * 4 ** 2", False),
        ("What is (2 * 3 + 1) * 4 ** 2?", "(2*3+1)*4**2", True),
        ("Compute (1 + 2) * (3 + 4)", "(1 + 2) * 3 + 4", False),  # one pair lost
        ("What is 5 * 3 + 2 ** 2?", "5*3+2**2", True),  # no brackets to keep
        ("Convert (about) 5 km to miles", "5", True),  # a bracket around words
    ],
)
def test_a_bracketed_expression_is_passed_with_its_brackets(query, passed, ok):
    from ste.checks.literals import grouping_kept

    call = step("calculate", {"expression": passed}, '{"result": 1}', True)
    check = grouping_kept(trial([call], final="1", query=query))
    assert check.ok is ok, check.reason


def test_a_field_echoing_an_argument_passed_as_text_is_not_asked_for():
    result = '{"result": "2023-11-14T22:13:20Z", "unix": 1700000000, "iso": "2023-11-14T22:13:20Z"}'
    call = step("unix_time", {"value": "1700000000", "to": "iso"}, result, True)
    query = "Convert the Unix timestamp '1700000000' to an ISO 8601 UTC timestamp."
    assert fields_answered(trial([call], final="2023-11-14T22:13:20Z", query=query)).ok


def test_a_short_list_of_strings_is_answered_by_any_of_them():
    result = '{"code": "FRA", "name": "France", "official_languages": ["French"]}'
    call = step("country_info", {"code": "FRA"}, result, True)
    query = "What is the official language and the name of the country FRA?"
    assert fields_answered(trial([call], final="France speaks French.", query=query)).ok
    check = fields_answered(trial([call], final="France.", query=query))
    assert not check.ok and "official_languages" in check.reason
