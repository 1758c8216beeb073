"""Values practice keeps coming back to (`ste.explore.worn`): read from the successful calls of
earlier trials, and a new request naming one asked for once more about other values."""

from ste.explore.coverage import Coverage
from ste.explore.worn import names_worn, worn_values
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer, run, trials_of
from test_explore_coverage import _country_trial, _trial


def _loan_trial(amount: float, rate: float) -> Trial:
    trial = _trial(({"amount": amount, "rate": rate}, '{"monthly": 1}', True))
    trial.tool = "loan"
    return trial


def test_values_passed_by_the_successful_calls_of_three_trials_are_worn(toolboxes):
    tool = load_tools(str(toolboxes / "countries.py"))[0]
    coverage = Coverage(tool)
    for _ in range(2):
        coverage.add(_country_trial(("FRA", True)))
    coverage.add(_country_trial(("JPN", True), ("FRA", False)))  # refused: not used
    assert worn_values(coverage) == {}
    coverage.add(_country_trial(("FRA", True)))
    assert worn_values(coverage) == {"FRA": 3}
    amounts = Coverage()
    for rate in (4.25, 4.25, 4.25, 5):
        amounts.add(_loan_trial(100000, rate))
    # numbers count apart from the values listed as used again; a count like 5 is no value
    assert worn_values(amounts) == {"100000": 4, "4.25": 3}
    assert amounts.used_again() == []


def test_a_request_writes_out_a_worn_value_as_a_whole():
    worn = {"FRA": 3, "100000": 4, "4.25": 3, "garlic": 5, "Hello world! This is a test.": 3}
    assert names_worn("What is the capital of FRA?", worn) == {"FRA": 3}
    assert names_worn("Monthly payment on a $100,000 loan at 4.25%?", worn) == {
        "100000": 4,
        "4.25": 3,
    }
    assert names_worn("Recipes with Garlic and rice, please.", worn) == {"garlic": 5}
    text = "Count the words of 'Hello world!  This is a test.' for me."
    assert names_worn(text, worn) == {"Hello world! This is a test.": 3}
    assert names_worn("Garlicky FRANCE food at 14.255% on 1000000", worn) == {}


async def test_a_request_about_worn_values_is_asked_for_once_more(toolboxes, tmp_path):
    tools = load_tools(str(toolboxes / "countries.py"))
    call = 'Thought: look it up\nAction: country_info\nAction Input: {"code": "FRA"}'
    jpn = 'Thought: look it up\nAction: country_info\nAction Input: {"code": "JPN"}'
    asked = [
        "What is the capital of the country with the code FRA?",
        "Which languages are spoken in FRA?",
        "Tell me the population of the country coded FRA, please.",
    ]
    model = Explorer()
    model.overrides = {
        "imagine_first": [asked[0], "How many people live in the capital of FRA?"],
        "imagine_next": asked[1:],
        "imagine_retry": ["What is the capital of the country with the code JPN?"],
        "try": [call] * 3 + [jpn],
        "review": [call] * 6 + [jpn] * 2,
    }
    run_dir = await run(model, tools, tmp_path, episodes=2, trials=1 + 2)
    retries = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "imagine_retry"
    ]
    # three trials used FRA: the fourth request, naming it again, is asked for once more
    assert len(retries) == 1
    assert retries[0].startswith("That request keeps to values")
    assert "'FRA' (3 trials)" in retries[0]
    queries = [t["query"] for t in trials_of(run_dir)]
    assert queries[:4] == [*asked, "What is the capital of the country with the code JPN?"]


async def test_a_request_about_worn_values_is_tried_when_the_one_asked_for_is_no_request(
    toolboxes, tmp_path
):
    tools = load_tools(str(toolboxes / "countries.py"))
    call = 'Thought: look it up\nAction: country_info\nAction Input: {"code": "FRA"}'
    asked = [
        "What is the capital of the country with the code FRA?",
        "Which languages are spoken in FRA?",
        "Tell me the population of the country coded FRA, please.",
        "How many people live in the capital of FRA?",
    ]
    model = Explorer()
    model.overrides = {
        "imagine_first": [asked[0], asked[3]],
        "imagine_next": asked[1:3],
        "imagine_retry": ["Use the country_info tool with the code JPN."],  # names the tool
        "try": [call] * 4,
        "review": [call] * 8,
    }
    run_dir = await run(model, tools, tmp_path, episodes=2, trials=3)
    assert [t["query"] for t in trials_of(run_dir)][:4] == asked
