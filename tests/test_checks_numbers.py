"""Numbers a request gives in words ground the digits a call passes for them."""

import pytest

from ste.checks.arguments import grounded
from ste.checks.numbers import spoken_numbers
from ste.records import Trial
from ste.tools.tool import Tool


def test_number_words_and_rounding_words_are_numbers():
    assert spoken_numbers("Find five recipes, a dozen eggs") == {5.0, 12.0}
    assert spoken_numbers("rounded to the nearest tenth") == {1.0}
    assert spoken_numbers("to the nearest hundredths, twenty-five days") >= {2.0, 25.0}
    assert spoken_numbers("round it to the nearest whole number") == {0.0}
    assert spoken_numbers("which one is longest?") == set()  # "one" is mostly a pronoun


def _trial(query: str, arguments: dict) -> Trial:
    step = {
        "raw": "",
        "call": {"name": "convert", "arguments": arguments},
        "observation": '{"result": 787.4}',
        "tool_ok": True,
    }
    return Trial(
        id="convert/e1/t1", tool="convert", episode=0, trial=0, seed=0, query=query, steps=[step]
    )


TOOL = Tool(
    name="convert",
    description="Convert a length.",
    parameters={
        "type": "object",
        "properties": {
            "value": {"type": "number"},
            "precision": {"type": "integer", "default": 4},
        },
        "required": ["value"],
    },
    function=lambda **arguments: None,
)


def test_a_rounding_the_request_names_in_words_is_grounded():
    query = "Convert 20 meters to inches, rounding to the nearest tenth."
    assert grounded(_trial(query, {"value": 20, "precision": 1}), TOOL).ok
    # a rounding the request never names is still invented
    assert not grounded(
        _trial("Convert 20 meters to inches.", {"value": 20, "precision": 1}), TOOL
    ).ok


def test_a_number_named_beside_a_passed_one_must_be_passed_too():
    from ste.checks.parts import every_value_passed

    query = "What are the public holidays of Spain in the years 2023 and 2024."
    only_one = _trial(query, {"value": 2024})
    check = every_value_passed(only_one, TOOL)
    assert not check.ok and "2023 beside 2024" in check.reason
    both = only_one.model_copy(
        update={"steps": [*only_one.steps, _trial(query, {"value": 2023}).steps[0]]}
    )
    assert every_value_passed(both, TOOL).ok
    # a range whose two ends the call passes is passed
    ranged = _trial("Between 10 and 20 minutes", {"value": 10, "precision": 20})
    assert every_value_passed(ranged, TOOL).ok


def test_this_year_is_the_year_the_request_was_written():
    from ste.checks.numbers import relative_years

    december_2026 = 1796445000.0  # 2026-12-05
    assert relative_years("holidays in France this year", december_2026) == {2026.0}
    assert relative_years("next year and last year", december_2026) == {2027.0, 2025.0}
    assert relative_years("this year", None) == set()
    trial = _trial("List the public holidays in France this year.", {"value": 2026})
    assert not grounded(trial, TOOL).ok  # when it was written is unknown
    dated = trial.model_copy(update={"finished_at": december_2026})
    assert grounded(dated, TOOL).ok


def test_a_value_quoted_beside_a_passed_one_must_be_passed_too():
    from ste.checks.parts import every_value_passed

    food = Tool(
        name="nutrition",
        description="Nutrition of a food.",
        parameters={
            "type": "object",
            "properties": {"food": {"type": "string"}, "grams": {"type": "number"}},
            "required": ["food"],
        },
        function=lambda **arguments: None,
    )
    query = "Energy of 100g of 'chicken breast, roasted' and 'rice, white, cooked'."
    step = {
        "raw": "",
        "call": {"name": "nutrition", "arguments": {"food": "rice, white, cooked", "grams": 100}},
        "observation": '{"energy_kcal": 130}',
        "tool_ok": True,
    }
    one = Trial(
        id="n/e1/t1", tool="nutrition", episode=0, trial=0, seed=0, query=query, steps=[step]
    )
    check = every_value_passed(one, food)
    assert not check.ok and "'chicken breast, roasted'" in check.reason
    chicken = {**step, "call": {**step["call"], "arguments": {"food": "chicken breast, roasted"}}}
    both = Trial.read({**one.model_dump(), "steps": [step, chicken]})
    assert every_value_passed(both, food).ok


def test_numbers_in_several_words_scales_and_months_are_numbers():
    from ste.checks.numbers import month_numbers, percent_shares

    assert 422.0 in spoken_numbers("status four hundred twenty-two after my post")
    assert 2e6 in spoken_numbers("2 million South Korean won")
    assert 3e6 in spoken_numbers("three million people")
    assert month_numbers("holidays in May 2025, in Dec. and in march") == {5.0, 12.0, 3.0}
    assert month_numbers("it may rain") == set()  # the verb is no month
    assert 7000.0 in percent_shares("a $35,000 car with 20% down")


@pytest.mark.parametrize(
    ("query", "arguments"),
    [
        ("Holidays in Japan in May 2025?", {"value": 5}),  # a month by name
        ("The date 45 days before 2025-02-10?", {"value": -45}),  # negated
        ("A $35,000 car with 20% down", {"value": 7000}),  # a share of another number
        ("What were 2 million won worth?", {"value": 2000000}),
    ],
)
def test_numbers_a_request_gives_another_way_ground_the_call(query, arguments):
    check = grounded(_trial(query, arguments), TOOL)
    assert check.ok, check.reason
