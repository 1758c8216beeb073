"""The demo benchmark shipped with the bundled tools: well-formed, runnable, the eval default."""

import json
from collections import Counter

import pytest
from typer.testing import CliRunner

from ste.cli import app
from ste.eval.testset import load_tests
from ste.tools import BUNDLED_TESTS, execute, load_tools

TOOLS = {tool.name: tool for tool in load_tools()}
ITEMS = load_tests(BUNDLED_TESTS, list(TOOLS))


def test_the_set_has_six_items_for_each_of_the_ten_tools():
    assert len(ITEMS) == 60
    assert Counter(item.tool for item in ITEMS) == {name: 6 for name in TOOLS}
    for item in ITEMS:  # every acceptable call of an item is a call of the same tool
        assert {call.name for call in item.expected} == {item.tool}


def test_ids_and_queries_are_unique_and_all_tools_are_offered():
    assert len({item.id for item in ITEMS}) == len(ITEMS)
    assert len({item.query.casefold() for item in ITEMS}) == len(ITEMS)
    assert all(item.tools is None for item in ITEMS)


def test_queries_never_name_a_tool():
    for item in ITEMS:
        for name in TOOLS:
            assert name not in item.query, (item.id, name)


@pytest.mark.parametrize("item", ITEMS, ids=[item.id for item in ITEMS])
async def test_every_expected_call_runs_and_the_answer_is_in_its_result(item):
    results = []
    for call in item.expected:
        result = await execute(TOOLS[call.name], call.arguments)
        assert result.ok, (call.arguments, result.observation)
        results.append(result.value)
    if item.answer is not None:
        assert item.answer.casefold() in json.dumps(results[0], ensure_ascii=False).casefold()


def test_eval_help_still_works():
    result = CliRunner().invoke(app, ["eval", "--help"])
    assert result.exit_code == 0
    assert "TESTS" in result.output and "--out" in result.output


def test_eval_without_tests_uses_the_bundled_set(tmp_path):
    # The test set is loaded before the model, so reaching the model error proves that the
    # default TESTS path resolved and loaded; nothing is written for a run that never started.
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "--out", str(out), "--model", "nope"])
    assert result.exit_code == 2
    assert "unknown model 'nope'" in result.output
    assert "no such test file" not in result.output
    assert not out.exists()
