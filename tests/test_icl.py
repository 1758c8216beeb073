"""Demonstration bank: retrieval, rendering within a budget, leakage guard, use in eval."""

import json
import os

import pytest

from ste.distill.example import Example, Turn
from ste.errors import SteError
from ste.icl.bank import DemoBank
from ste.icl.demonstrations import as_native, as_react, render_demonstrations


def write_dataset(folder, examples):
    folder.mkdir()
    (folder / "manifest.json").write_text(json.dumps({"kind": "ste-dataset"}))
    with (folder / "examples.jsonl").open("w") as sink:
        for example, split in examples:
            sink.write(json.dumps({**example.model_dump(), "split": split}) + "\n")
    return folder


def example(i, tool, query, value):
    return Example(
        id=f"{tool}/e1/t{i}",
        tool=tool,
        query=query,
        turns=[
            Turn(name=tool, arguments={"value": value}, observation=f'{{"r": {value}}}', ok=True)
        ],
        final_answer=f"It is {value}.",
        source_trial=f"{tool}/e1/t{i}",
        tools=[],
    )


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(
        tmp_path / "data",
        [
            (example(1, "convert", "How many miles is 10 km?", 10), "train"),
            (example(2, "convert", "Convert 5 miles into kilometres", 5), "train"),
            (example(3, "weather", "Will it rain in Oslo tomorrow?", 0), "train"),
            (example(4, "convert", "How many miles is 7 km?", 7), "dev"),  # held out
        ],
    )


@pytest.mark.parametrize("method", ["bm25", "embedding", "lexical"])
def test_retrieval_ranks_similar_queries_of_the_offered_tools(dataset, method):
    from ste import embeddings

    if method == "embedding" and not embeddings.available():
        # CI installs it (the test extra); STE_REQUIRE_REAL_MODEL=1 makes its absence a failure
        if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
            pytest.fail(f"the embedding model is not installed: {embeddings.INSTALL}")
        pytest.skip("the embedding model is not installed")
    bank = DemoBank(dataset, method=method)
    assert len(bank.examples) == 3  # the dev split is never shown
    retrieved = bank.retrieve("how many miles is 12 km", ["convert"], k=5)
    assert [r.example.id for r in retrieved] == ["convert/e1/t1", "convert/e1/t2"]
    assert bank.retrieve("how many miles is 12 km", ["weather"], k=5)[0].example.tool == "weather"
    if method == "embedding":
        assert list((dataset / "bank").glob("embeddings-*.npy"))  # computed once, stored


def test_bm25_scores_a_query_by_the_words_it_shares_with_each_example(dataset):
    bank = DemoBank(dataset, method="bm25")
    scores = bank.scores("Will it rain in Oslo tomorrow?")  # words the index never saw, too
    best = max(range(len(scores)), key=scores.__getitem__)
    assert "Oslo" in bank.examples[best].query and scores[best] > 0
    assert bank.scores("zzz qqq") == [0.0] * len(bank.examples)


def test_demonstrations_are_whole_dialogues_and_fit_the_budget(dataset):
    bank = DemoBank(dataset, method="bm25")
    first = bank.examples[0]
    react = as_react(first)
    assert react.splitlines() == [
        "User Query: How many miles is 10 km?",
        "Action: convert",
        'Action Input: {"value": 10}',
        'Observation: {"r": 10}',
        "Thought: I now know the final answer",
        "Final Answer: It is 10.",
    ]
    assert 'Tool call: {"name": "convert", "arguments": {"value": 10}}' in as_native(first)
    text, shown = render_demonstrations(bank.examples, "react", token_budget=10_000)
    assert shown == 3 and text.index("Oslo") < text.index("10 km")  # most similar last
    budget = len(react) // 4 + 5
    text, shown = render_demonstrations(bank.examples, "react", token_budget=budget)
    assert shown == 1 and "10 km" in text and "Oslo" not in text


def test_a_bank_is_only_built_from_a_distilled_dataset(tmp_path):
    (tmp_path / "examples.jsonl").write_text("")
    with pytest.raises(SteError, match="not a dataset made by `ste distill`"):
        DemoBank(tmp_path)


def test_test_queries_found_in_the_bank_are_reported(dataset):
    bank = DemoBank(dataset, method="bm25")
    leaks = bank.near_verbatim(["How many miles is 10 km?", "What is the capital of Peru?"])
    assert leaks == [("How many miles is 10 km?", "How many miles is 10 km?")]


async def test_eval_with_demos_puts_them_before_the_query(dataset, tmp_path, toolboxes):
    from scripted import ScriptedModel
    from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
    from ste.eval.testset import load_tests
    from ste.tools import load_tools

    tools = load_tools(str(toolboxes / "sample.py"))
    tests = tmp_path / "tests.jsonl"
    tests.write_text(
        json.dumps(
            {
                "id": "a",
                "query": "How many miles is 3 km?",
                "expected": [{"name": "convert", "arguments": {"value": 3, "unit": "km"}}],
            }
        )
    )
    model = ScriptedModel(['Action: convert\nAction Input: {"value": 3, "unit": "km"}'])
    settings = EvalSettings(demos=str(dataset), k=2)
    out = tmp_path / "out"
    prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
    bank = DemoBank(dataset, method="bm25")
    (record,) = await run_eval(model, tools, load_tests(tests), out, settings, bank=bank)
    assert record.demonstrations == ["convert/e1/t1", "convert/e1/t2"]
    assert record.correct
    query_message = model.requests[0]["messages"][-1]["content"]
    assert query_message.startswith("Here are examples of requests solved")
    assert query_message.endswith("User Query: How many miles is 3 km?")
    assert "Oslo" not in query_message  # weather is not among the offered tools


@pytest.mark.parametrize(("demos_for", "first"), [("routed", "convert"), ("similar", "tag")])
async def test_eval_shows_the_routed_tools_examples_first(tmp_path, toolboxes, demos_for, first):
    from scripted import ScriptedModel
    from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
    from ste.eval.testset import load_tests
    from ste.tools import load_tools

    tools = load_tools(str(toolboxes / "sample.py"))
    dataset = write_dataset(
        tmp_path / "data",
        [
            (example(1, "convert", "Distance from Oslo to Bergen in kilometres", 1), "train"),
            (example(2, "tag", "Label 3 miles and 3 km as far", 2), "train"),
        ],
    )
    tests = tmp_path / "tests.jsonl"
    item = {"id": "a", "query": "Convert 3 km to miles", "expected": [{"name": "convert"}]}
    item["expected"][0]["arguments"] = {"value": 3, "unit": "km"}
    tests.write_text(json.dumps(item))
    model = ScriptedModel(['Action: convert\nAction Input: {"value": 3, "unit": "km"}'])
    settings = EvalSettings(demos=str(dataset), k=1, demos_for=demos_for)
    out = tmp_path / "out"
    assert settings.manifest(model, tests, tools)["demos_for"] == demos_for
    prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
    bank = DemoBank(dataset, method="lexical")
    (record,) = await run_eval(model, tools, load_tests(tests), out, settings, bank=bank)
    assert record.demonstrations == [f"{first}/e1/t{1 if first == 'convert' else 2}"]


def test_recoveries_can_be_shown_by_their_successful_call_only():
    from ste.icl.demonstrations import successful_only

    recovery = Example(
        id="convert/e1/t9",
        tool="convert",
        query="How many miles is 4 km?",
        turns=[
            Turn(name="convert", arguments={"value": "4km"}, observation="Error: bad", ok=False),
            Turn(name="convert", arguments={"value": 4}, observation='{"r": 2.49}', ok=True),
        ],
        final_answer="About 2.49 miles.",
        source_trial="convert/e1/t9",
        recovered=True,
        tools=[],
    )
    whole, _ = render_demonstrations([recovery], "react")
    assert '"4km"' in whole and "Error: bad" in whole
    text, shown = render_demonstrations([recovery], "react", turns="successful")
    assert shown == 1 and '"4km"' not in text and 'Action Input: {"value": 4}' in text
    plain = example(1, "convert", "How many miles is 10 km?", 10)
    assert successful_only(plain) is plain  # examples without a failed call are unchanged


UNITS = {
    "type": "function",
    "function": {
        "name": "units",
        "parameters": {
            "type": "object",
            "properties": {
                "value": {"type": "number"},
                "to": {"type": "string"},
                "precision": {"type": "integer", "default": 4},
            },
            "required": ["value", "to"],
        },
    },
}


def units_example(i, query, arguments):
    return Example(
        id=f"units/e1/t{i}",
        tool="units",
        query=query,
        turns=[Turn(name="units", arguments=arguments, observation='{"r": 1}', ok=True)],
        final_answer="It is 1.",
        source_trial=f"units/e1/t{i}",
        tools=[UNITS],
    )


def test_an_example_knows_the_optional_arguments_a_request_does_not_ask_for():
    rounded = units_example(
        1, "Convert 3 km to m, rounded to 2 places", {"value": 3, "to": "m", "precision": 2}
    )
    assert rounded.unasked_options("How many miles is 42.195 km?") == ["precision"]
    assert rounded.unasked_options("5 km in miles, to 2 decimal places?") == []
    default = units_example(2, "Convert 3 km to m", {"value": 3, "to": "m", "precision": 4})
    assert default.unasked_options("How many miles is 42.195 km?") == []  # the default


def test_a_tools_only_examples_passing_unasked_options_give_way_to_other_tools(tmp_path):
    rounded = [
        units_example(
            i,
            f"Convert {i} km to miles, rounded to 2 places",
            {"value": i, "to": "mi", "precision": 2},
        )
        for i in (1, 2)
    ]
    others = [example(i, "weather", f"Weather in {i} km radius of Paris", i) for i in (3, 4)]
    bank = DemoBank(
        write_dataset(tmp_path / "data", [(e, "train") for e in [*rounded, *others]]), "lexical"
    )
    ids = [r.example.id for r in bank.retrieve("Convert 7 km to miles", None, k=2)]
    assert sorted(ids) == ["weather/e1/t3", "weather/e1/t4"]  # no call that copies precision
    # asked for, the rounding examples are the ones shown
    asked = bank.retrieve("Convert 7 km to miles, rounded to 2 places", None, k=2)
    assert sorted(r.example.id for r in asked) == ["units/e1/t1", "units/e1/t2"]


def test_examples_passing_unasked_options_give_way_to_plain_ones_of_their_tool(tmp_path):
    rounded = [
        units_example(
            i,
            f"Convert {i} km to miles, rounded to 2 places",
            {"value": i, "to": "mi", "precision": 2},
        )
        for i in (1, 2, 3)
    ]
    plain = units_example(4, "How far is 9 kilometres in m", {"value": 9, "to": "m"})
    other = example(5, "weather", "Convert 7 km to miles for the weather", 7)  # no tool schema
    examples = [(e, "train") for e in [*rounded, plain, other]]
    bank = DemoBank(write_dataset(tmp_path / "data", examples), "lexical")
    query = "Convert 7 km to miles"
    assert bank.retrieve(query, None, k=5)[-1].example.id == "units/e1/t4"  # the least similar
    three = bank.retrieve(query, None, k=3)
    ids = [r.example.id for r in three]
    assert "units/e1/t4" in ids  # one rounded example gave way to the plain call
    assert "weather/e1/t5" in ids  # another tool's example keeps its place
    assert [r.score for r in three] == sorted((r.score for r in three), reverse=True)
    asked = bank.retrieve("Convert 7 km to miles, to 2 decimal places", ["units"], k=2)
    assert "units/e1/t4" not in [r.example.id for r in asked]


def test_the_routed_tools_examples_come_first_and_the_most_similar_others_fill_in(tmp_path):
    examples = [
        example(1, "recipes", "Find a quick dinner recipe", 1),
        example(2, "nutrition", "How much protein do chickpeas have, can of chickpeas?", 2),
        example(3, "nutrition", "Protein in a can of chickpeas to use up", 3),
        example(4, "nutrition", "Fat in olive oil", 4),
    ]
    bank = DemoBank(write_dataset(tmp_path / "data", [(e, "train") for e in examples]), "lexical")
    query = "I have a can of chickpeas to use up. Which recipes use them?"
    similar = [r.example.id for r in bank.retrieve(query, None, k=2)]
    assert "recipes/e1/t1" not in similar  # by similarity alone, the other tool's examples
    routed = bank.retrieve(query, None, k=3, prefer="recipes")
    assert [r.example.id for r in routed][0] == "recipes/e1/t1"  # shown nearest the request
    assert {r.example.id for r in routed[1:]} == set(similar)
    # a tool with no examples: the most similar, as without routing
    assert bank.retrieve(query, None, k=2, prefer="pantry") == bank.retrieve(query, None, k=2)


def test_the_router_picks_the_offered_tool_a_request_is_most_about():
    from ste.icl.routing import RoutedNotes, ToolRouter

    router = ToolRouter(
        [
            ("search_recipes", "Find recipes by cuisine or ingredient."),
            ("nutrition", "Protein, fat and calories of a food."),
        ]
    )
    query = "Which recipes use chickpeas?"
    assert router.route(query, ["search_recipes", "nutrition"]) == "search_recipes"
    assert router.route(query, ["nutrition"]) == "nutrition"  # only among those offered
    assert router.route(query, []) is None
    shared = RoutedNotes({"search_recipes": ["Cuisines are lowercase."]}, router)
    assert shared.router is router
    assert shared.notes_for(query, ["search_recipes"])[1] == "search_recipes"
