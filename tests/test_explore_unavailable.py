"""Values a tool does not hold: a request naming one it refused is asked again, told what the
tool said, and is not tried while it still names it."""

import pytest

from ste.explore.unavailable import names_unavailable, refused_values
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer, run, trials_of

RECIPES = '''
def search_recipes(ingredient: str, vegetarian: bool = False) -> dict:
    """Find recipes by their main ingredient.

    Args:
        ingredient: A main ingredient, lowercase and singular.
        vegetarian: Only vegetarian recipes.
    """
    held = {"tomato": ["Caprese Salad"], "rice": ["Fried Rice"]}
    if ingredient not in held:
        raise ValueError(
            f"Unknown ingredient {ingredient!r}. Ingredient names are lowercase and singular, "
            "e.g. 'tomato' or 'rice'"
        )
    return {"recipes": held[ingredient]}
'''


@pytest.fixture
def recipes(tmp_path):
    toolbox = tmp_path / "recipes.py"
    toolbox.write_text(RECIPES)
    return load_tools(str(toolbox))


def _trial(query: str, calls: list[tuple[dict, bool, str]]) -> Trial:
    return Trial.read(
        {
            "id": "t/e1/t1",
            "tool": "t",
            "episode": 0,
            "trial": 0,
            "seed": 1,
            "query": query,
            "call_succeeded": any(ok for _a, ok, _o in calls),
            "steps": [
                {
                    "raw": "",
                    "call": {"name": "t", "arguments": arguments},
                    "observation": observation,
                    "tool_ok": ok,
                    "error_kind": None if ok else "tool_error",
                }
                for arguments, ok, observation in calls
            ],
        }
    )


UNKNOWN_BEANS = "Error: Unknown ingredient 'beans'. Ingredient names are lowercase, e.g. 'tomato'"


def test_a_value_refused_as_unknown_in_a_trial_that_never_succeeded_is_not_held(recipes):
    trial = _trial("Find a recipe with beans.", [({"ingredient": "beans"}, False, UNKNOWN_BEANS)])
    assert refused_values(trial, recipes[0]) == {"beans": UNKNOWN_BEANS}
    assert names_unavailable("Any quick bean dish?", {"beans": UNKNOWN_BEANS}) is None
    assert names_unavailable("Beans and rice, please.", {"beans": "x"}) == ("beans", "x")


@pytest.mark.parametrize(
    ("query", "arguments", "observation"),
    [
        # a format the tool writes otherwise: a listed code abbreviates it
        (
            "Convert 5 miles to km.",
            {"from_unit": "miles", "to_unit": "km"},
            "Error: Unknown unit 'miles'. Accepted unit codes - m, km, mi, ft",
        ),
        # a quoted form holds it
        (
            "Distance from Paris to London?",
            {"from_city": "Paris", "to_city": "London"},
            "Error: 'London' is ambiguous: 'London, CA', 'London, GB'. Qualify to_city",
        ),
        # the message says how to write it
        (
            "3 PM EST in Paris?",
            {"from_tz": "EST", "to_tz": "Europe/Paris"},
            "Error: Unknown time zone 'EST'. Use an IANA name, e.g. 'America/New_York'",
        ),
        ("Holidays in the UK?", {"country": "UK"}, "Error: 'UK' is no code; the UK is 'GB'"),
    ],
)
def test_a_refusal_about_how_a_value_is_written_is_no_gap(recipes, query, arguments, observation):
    assert refused_values(_trial(query, [(arguments, False, observation)]), recipes[0]) == {}


def test_the_value_refused_is_the_first_one_the_refusal_quotes(recipes):
    # UTC, also passed, is only the message's example
    refusal = "Error: Unknown time zone 'Mars/Base'. Try one such as 'UTC'"
    trial = _trial(
        "Noon UTC in Mars/Base time?", [({"from_tz": "UTC", "to_tz": "Mars/Base"}, False, refusal)]
    )
    assert refused_values(trial, recipes[0]) == {"Mars/Base": refusal}


def test_no_gap_where_the_trial_got_a_call_through_or_the_value_names_a_parameter(recipes):
    refused = ({"ingredient": "beans"}, False, UNKNOWN_BEANS)
    succeeded = _trial("Find a recipe with beans.", [refused, ({"ingredient": "rice"}, True, "{}")])
    assert refused_values(succeeded, recipes[0]) == {}
    parameter = _trial(
        "Find a vegetarian recipe.",
        [({"ingredient": "vegetarian"}, False, "Error: Unknown ingredient 'vegetarian'")],
    )
    assert refused_values(parameter, recipes[0]) == {}


def _call(ingredient: str) -> str:
    return (
        f'Thought: search\nAction: search_recipes\nAction Input: {{"ingredient": "{ingredient}"}}'
    )


async def test_a_request_naming_a_value_the_tool_does_not_hold_is_asked_again(recipes, tmp_path):
    model = Explorer(
        imagine_first=["User Query: Find me a recipe with beans."],
        imagine_next=["User Query: Find me a quick recipe with beans."],
        imagine_retry=["User Query: Find me a recipe with rice."],
    )
    model.overrides["try"] = [_call("beans"), _call("rice")]
    model.overrides["observation"] = [
        "Thought: none\nFinal Answer: There is no recipe with beans.",
        "Thought: I now know the final answer\nFinal Answer: Fried Rice.",
    ]
    run_dir = await run(model, recipes, tmp_path, episodes=1, trials=2)
    assert [t["query"] for t in trials_of(run_dir)] == [
        "Find me a recipe with beans.",
        "Find me a recipe with rice.",
    ]
    retry = next(r for r in model.requests if model.stage(r["messages"]) == "imagine_retry")
    told = retry["messages"][-1]["content"]
    assert '"beans" is outside what it covers' in told and "Unknown ingredient 'beans'" in told


async def test_a_request_still_naming_it_is_not_tried(recipes, tmp_path):
    model = Explorer(
        imagine_first=["User Query: Find me a recipe with beans."],
        imagine_next=["User Query: Find me a quick recipe with beans."],
        imagine_retry=["User Query: Find me a cheap recipe with beans."],
    )
    model.overrides["try"] = [_call("beans")]
    model.overrides["observation"] = ["Thought: none\nFinal Answer: There is no recipe with beans."]
    run_dir = await run(model, recipes, tmp_path, episodes=1, trials=2)
    first, second = trials_of(run_dir)
    assert first["query"] == "Find me a recipe with beans." and second["query"] == ""
