"""The review: a finished trial that fails a rule check a new call could pass is told what
the check found; its corrected call, not the reviewed one, is what the checks and the
example then read."""

import json

import pytest

from ste.checks.rules import usable
from ste.distill.example import from_trial
from ste.explore.review import findings
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer, run, trials_of

ANSWER = "Thought: I now know the final answer\nFinal Answer: {}"


def _call(value: int) -> str:
    arguments = json.dumps({"value": value, "unit": "km"})
    return f"Thought: convert\nAction: convert\nAction Input: {arguments}"


@pytest.fixture
def convert(toolboxes):
    return [t for t in load_tools(str(toolboxes / "sample.py")) if t.name == "convert"]


async def test_a_call_of_a_value_the_request_never_gave_is_reviewed_and_corrected(
    convert, tmp_path
):
    # the request asks for 1 km; the first call converts 999 km, the review's call 1 km
    model = Explorer(
        value=999,
        review=[_call(1)],
        observation=[ANSWER.format("620.75 miles"), ANSWER.format("0.62 miles")],
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    record = trials_of(run_dir)[0]
    reviews = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "review"
    ]
    assert len(reviews) == 1 and "value=999" in reviews[0]  # told what the check found
    assert record["review"] == ["value=999: not from the request or a result"]
    trial = Trial.read(record)
    assert trial.reviewed_at == 2  # the call and its answer came before the review
    assert [s.call.arguments["value"] for s in trial.all_call_steps] == [999, 1]
    assert [s.call.arguments["value"] for s in trial.call_steps] == [1]
    assert trial.final_answer == "0.62 miles" and usable(trial, convert[0])
    example = from_trial(trial, [convert[0].openai_spec()], last_call_only=False)
    assert [t.arguments["value"] for t in example.turns] == [1]  # the reviewed call is not shown


async def test_later_trials_go_on_without_the_review(convert, tmp_path):
    # the review's findings, echoed in the model's thoughts, came back in the next requests
    model = Explorer(
        value=999,
        review=[_call(1), _call(1)],
        observation=[ANSWER.format("620.75 miles"), ANSWER.format("0.62 miles")] * 2,
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=2, rebalance=False)
    first, second = trials_of(run_dir)
    assert first["review"] and Trial.read(first).call_steps[-1].call.arguments["value"] == 1
    reviews = [r for r in model.requests if model.stage(r["messages"]) == "review"]
    found = reviews[0]["messages"][-1]["content"]
    later = [r for r in model.requests[model.requests.index(reviews[0]) + 1 :]]
    imagined = [r for r in later if model.stage(r["messages"]).startswith("imagine")]
    # the next request is imagined from a conversation without the review, nor resumed with it
    assert imagined and all(found not in [m["content"] for m in r["messages"]] for r in imagined)
    assert found not in [m["content"] for m in first["messages"]]


async def test_a_trial_the_checks_pass_is_not_reviewed(convert, tmp_path):
    model = Explorer()
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=2, rebalance=False)
    assert not [r for r in model.requests if model.stage(r["messages"]) == "review"]
    for record in trials_of(run_dir):
        assert "review" not in record and "reviewed_at" not in record  # lines as before


async def test_no_review_switches_it_off(convert, tmp_path):
    model = Explorer(value=999)
    await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False, review=False)
    assert not [r for r in model.requests if model.stage(r["messages"]) == "review"]


async def test_a_review_answered_without_a_new_call_keeps_the_trials_calls(convert, tmp_path):
    # the model holds to its call: the trial keeps it, with its new answer, and stays unusable
    model = Explorer(value=999, review=[ANSWER.format("620.75 miles, as asked")])
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.final_answer == "620.75 miles, as asked"
    assert [s.call.arguments["value"] for s in trial.call_steps] == [999]
    assert not usable(trial, convert[0]) and findings(trial, convert[0])


async def test_a_new_call_left_unanswered_leaves_the_trial_unanswered(convert, tmp_path):
    # after the review's call the model never answers: the old answer was about the old call
    model = Explorer(
        value=999,
        review=[_call(1)],
        observation=[ANSWER.format("620.75 miles"), _call(1)],
        answer_at_limit=["Thought: still thinking"],
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.review and trial.final_answer is None
    assert not usable(trial, convert[0])


def test_a_trial_with_no_successful_call_has_nothing_to_review(convert):
    trial = Trial(id="convert/e1/t1", tool="convert", episode=0, trial=0, seed=1, query="x")
    assert findings(trial, convert[0]) == []


async def test_a_trial_that_gave_up_after_the_tool_refused_is_shown_the_refusal_again(
    convert, tmp_path
):
    model = Explorer(
        observation=[ANSWER.format("I cannot convert that."), ANSWER.format("0.62 miles")],
        review=[_call(1)],
        **{"try": [_call(-1)]},
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    reviews = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "review"
    ]
    assert len(reviews) == 1 and "value must be >= 0" in reviews[0]
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.review[0].startswith("no call succeeded; the tool said: Error:")
    assert trial.reviewed_at is None  # the refused call is part of the way to the answer
    assert [s.tool_ok for s in trial.call_steps] == [False, True]
    assert trial.final_answer == "0.62 miles" and usable(trial, convert[0])


def test_a_reviewed_trial_shows_what_the_review_found(convert):
    from rich.console import Console

    from ste.explore.report import trial_view

    step = {"raw": "", "call": {"name": "convert", "arguments": {"value": 9, "unit": "km"}}}
    trial = Trial.read(
        {
            "id": "convert/e1/t1",
            "tool": "convert",
            "episode": 0,
            "trial": 0,
            "seed": 1,
            "query": "How many miles is 1 km?",
            "steps": [step, {**step, "call": {**step["call"], "arguments": {"value": 1}}}],
            "review": ["value=9: not from the request or a result"],
            "reviewed_at": 1,
        }
    )
    console = Console(record=True, width=200)
    console.print(trial_view(trial))
    text = console.export_text()
    assert "Review: value=9: not from the request" in text and "steps from 2 on" in text


def test_a_schema_refusal_is_reviewed_unless_the_call_passed_a_parameter_the_tool_lacks(convert):
    from ste.explore.review import refusal

    def trial_of(arguments: dict) -> Trial:
        step = {
            "raw": "",
            "call": {"name": "convert", "arguments": arguments},
            "observation": "Error: invalid arguments for convert: ...",
            "tool_ok": False,
            "error_kind": "invalid_arguments",
        }
        return Trial(
            id="convert/e1/t1",
            tool="convert",
            episode=0,
            trial=0,
            seed=1,
            query="How many miles is 5 km?",
            steps=[step],
            final_answer="I cannot.",
        )

    assert refusal(trial_of({"value": "5", "unit": "km"}), convert[0])  # a wrong type: retry
    assert refusal(trial_of({"value": 5, "unit": "km", "formula": True}), convert[0]) is None


CITIES = '''
def city_distance(from_city: str, to_city: str) -> dict:
    """The distance between two cities.

    Args:
        from_city: A city, with its country code after a comma.
        to_city: A city, with its country code after a comma.
    """
    for name, city in (("from_city", from_city), ("to_city", to_city)):
        if city.split(",")[0] == "New York City":
            raise ValueError(
                f"Unknown city 'New York City' for {name}; it is not in the gazetteer. "
                "Did you mean 'New York'?"
            )
    return {"km": 5837}
'''


async def _reviewed(model, source: str, tmp_path) -> tuple[str, Trial]:
    """Explore the tool `source` defines for one trial: (what the review told, the trial)."""
    toolbox = tmp_path / "tool.py"
    toolbox.write_text(source)
    tools = load_tools(str(toolbox))
    run_dir = await run(model, tools, tmp_path, episodes=1, trials=1, rebalance=False)
    (told,) = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "review"
    ]
    return told, Trial.read(trials_of(run_dir)[0])


def _distance(from_city: str) -> str:
    arguments = json.dumps({"from_city": from_city, "to_city": "Paris, FR"})
    return f"Thought: look it up\nAction: city_distance\nAction Input: {arguments}"


async def test_a_refusal_that_suggests_one_value_is_shown_as_the_call_it_suggests(tmp_path):
    model = Explorer(
        imagine_first=["User Query: How far is New York City, USA from Paris?"],
        observation=[ANSWER.format("Error: Unknown city."), ANSWER.format("5837 km")],
        review=[_distance("New York, US")],
        **{"try": [_distance("New York City, US")]},
    )
    told, trial = await _reviewed(model, CITIES, tmp_path)
    assert '{"from_city": "New York, US", "to_city": "Paris, FR"}' in told
    assert [s.tool_ok for s in trial.call_steps] == [False, True]


AMBIGUOUS = '''
def city_distance(from_city: str, to_city: str) -> dict:
    """The distance between two cities.

    Args:
        from_city: A city.
        to_city: A city.
    """
    if to_city == "London":
        raise ValueError(
            "'London' is ambiguous: 'London, CA', 'London, GB'. Qualify to_city as 'City, CC'"
        )
    if to_city.startswith("City"):
        raise ValueError("Unknown city 'City' for to_city; it is not in the gazetteer.")
    return {"km": 344}
'''


def _to(city: str) -> str:
    arguments = json.dumps({"from_city": "Paris", "to_city": city})
    return f"Thought: look it up\nAction: city_distance\nAction Input: {arguments}"


async def test_a_trial_out_of_turns_is_shown_each_value_a_refusal_offered(tmp_path):
    # told the form 'City, CC', the model passes "City, GB" to the end of its turns (5 more)
    model = Explorer(
        imagine_first=["User Query: How far is Paris from London?"],
        observation=[_to("City, GB")] * 5 + [ANSWER.format("344 km")],
        answer_at_limit=["Thought: still thinking"],
        review=[_to("London, GB")],
        **{"try": [_to("London")]},
    )
    told, trial = await _reviewed(model, AMBIGUOUS, tmp_path)
    assert "no call has succeeded yet" in told and "Unknown city 'City'" in told
    assert '{"from_city": "Paris", "to_city": "London, CA"}' in told
    assert '{"from_city": "Paris", "to_city": "London, GB"}' in told
    assert trial.call_steps[-1].tool_ok and trial.final_answer == "344 km"


RECIPES = '''
def search_recipes(cuisine: str, max_minutes: int | None = None) -> dict:
    """Recipes of a cuisine.

    Args:
        cuisine: A cuisine.
        max_minutes: The longest time to cook, in minutes.
    """
    return {"recipes": [{"name": "Pad Thai", "minutes": 25}]}
'''


def _recipes(minutes: str | int) -> str:
    arguments = json.dumps({"cuisine": "thai", "max_minutes": minutes})
    return f"Thought: search\nAction: search_recipes\nAction Input: {arguments}"


async def test_a_number_refused_in_quotes_is_shown_as_the_call_without_them(tmp_path):
    model = Explorer(
        imagine_first=["User Query: A Thai recipe I can cook in 30 minutes?"],
        observation=[ANSWER.format("The query is not valid."), ANSWER.format("Pad Thai")],
        review=[_recipes(30)],
        **{"try": [_recipes("30")]},
    )
    told, trial = await _reviewed(model, RECIPES, tmp_path)
    assert "(write it without quotes: 30)" in told
    assert '{"cuisine": "thai", "max_minutes": 30}' in told
    assert [s.tool_ok for s in trial.call_steps] == [False, True]


@pytest.mark.parametrize(
    ("arguments", "refusal", "expected"),
    [
        (
            {"ingredient": "onions", "limit": 5},
            "Unknown ingredient 'onions'. Names are singular; did you mean 'onion'?",
            {"ingredient": "onion", "limit": 5},
        ),
        (  # several offered: choosing is the model's
            {"food": "rice"},
            "Ambiguous food 'rice'. Did you mean: 'rice, white, cooked', 'rice, brown, cooked'?",
            None,
        ),
        ({"food": "rice"}, "Unknown food 'rice'.", None),  # no suggestion
        ({"food": "rice"}, "Unknown food. Did you mean 'bread'?", None),  # no value named
    ],
)
def test_the_one_value_a_refusal_suggests_replaces_the_refused_one(arguments, refusal, expected):
    from ste.explore.suggestion import suggested_arguments

    assert suggested_arguments(arguments, refusal) == expected


def test_the_values_a_refusal_offers_each_replace_the_refused_one():
    from ste.explore.suggestion import offered_arguments

    arguments = {"to_city": "London", "unit": "km"}
    refusal = "'London' is ambiguous: 'London, CA', 'London, GB'. Qualify as 'City, CC'"
    assert offered_arguments(arguments, refusal) == [
        {"to_city": "London, CA", "unit": "km"},
        {"to_city": "London, GB", "unit": "km"},
    ]
    assert offered_arguments({"to_city": "London"}, "'London' is ambiguous: 'London, CA'") == []
    assert offered_arguments({"to_city": "Paris"}, refusal) == []  # not the refused value
    rice = "Ambiguous food 'rice'. Did you mean: 'rice, white, cooked', 'rice, brown, cooked'?"
    assert len(offered_arguments({"food": "rice"}, rice)) == 2


LOAN = '''
def loan_payment(amount: float, term_months: int) -> dict:
    """The monthly payment of a loan without interest.

    Args:
        amount: The amount borrowed.
        term_months: Loan term in months.
    """
    return {"monthly_payment": round(amount / term_months, 2)}
'''


def _loan(term: int) -> str:
    arguments = json.dumps({"amount": 1200, "term_months": term})
    return f"Thought: compute\nAction: loan_payment\nAction Input: {arguments}"


async def test_a_value_a_check_works_out_is_offered_as_the_call_with_it_fixed(tmp_path):
    # 20 years passed as 20 months: the check names 240 months, and the review shows the
    # call with 240 in it, which a small model copies more surely than it converts
    model = Explorer(
        imagine_first=["User Query: The monthly payment on a 20-year loan of 1200?"],
        observation=[ANSWER.format("60.0 a month"), ANSWER.format("5.0 a month")],
        review=[_loan(240)],
        **{"try": [_loan(20)]},
    )
    told, trial = await _reviewed(model, LOAN, tmp_path)
    assert "(20 year is 240 months)" in told
    assert '{"amount": 1200, "term_months": 240}' in told
    assert [s.call.arguments["term_months"] for s in trial.call_steps] == [240]
    assert trial.final_answer == "5.0 a month"
