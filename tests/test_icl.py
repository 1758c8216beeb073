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
