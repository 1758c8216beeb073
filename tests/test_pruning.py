"""Unasked arguments that change nothing are taken out of a kept call (`ste.distill.pruning`),
with the real tool run again; an argument that changes the result, or that the request
names, stays."""

from __future__ import annotations

import json

import pytest

from ste.checks.rules import rule_checks
from ste.distill.pipeline import DistillSettings, distill
from ste.distill.pruning import prune
from ste.tools.execute import execute
from ste.tools.tool import Tool
from test_distill import step, trial

RECIPES = ["garlic bread", "garlic soup", "tomato soup"]


def search(word: str, limit: int = 5) -> dict:
    found = [r for r in RECIPES if word in r]
    return {"recipes": found[:limit]}


SEARCH = Tool(
    "search",
    "Search the recipes whose name holds a word.",
    {
        "type": "object",
        "properties": {
            "word": {"type": "string", "description": "A word of the recipe's name."},
            "limit": {
                "type": "integer",
                "description": "Most recipes to return (1-20). Default 5.",
                "default": 5,
            },
        },
        "required": ["word"],
        "additionalProperties": False,
    },
    search,
)


async def searched(query: str, **arguments):
    result = await execute(SEARCH, arguments)
    steps = [step("search", arguments, result.observation, True)]
    return trial(steps, final=f"found: {result.observation}", query=query, tool="search")


async def test_an_unasked_argument_that_changes_nothing_is_dropped():
    record = await searched("Which recipes have garlic in their name?", word="garlic", limit=3)
    assert not next(c for c in rule_checks(record, SEARCH, False) if c.name == "grounded").ok
    pruned, dropped = await prune(record, SEARCH)
    assert dropped == ["limit=3"]
    assert pruned.call_steps[0].call.arguments == {"word": "garlic"}
    assert pruned.call_steps[0].observation == record.call_steps[0].observation
    assert all(c.ok for c in rule_checks(pruned, SEARCH, False))
    assert record.call_steps[0].call.arguments["limit"] == 3  # the trial itself is unchanged


@pytest.mark.parametrize(
    "query, limit",
    [
        ("Which recipes have garlic in their name?", 1),  # fewer recipes: it changed the result
        ("Give me 3 recipes with garlic in their name.", 3),  # the request names it
    ],
)
async def test_an_argument_that_matters_or_was_asked_for_stays(query, limit):
    record = await searched(query, word="garlic", limit=limit)
    pruned, dropped = await prune(record, SEARCH)
    assert dropped == [] and pruned is record


async def test_a_stateful_tools_calls_are_not_run_again():
    calls = []

    def counting(word: str, limit: int = 5) -> dict:
        calls.append(word)
        return search(word, limit)

    stateful = Tool(SEARCH.name, SEARCH.description, SEARCH.parameters, counting, stateful="s")
    record = await searched("Which recipes have garlic in their name?", word="garlic", limit=3)
    pruned, dropped = await prune(record, stateful)
    assert dropped == [] and pruned is record and calls == []


async def test_distillation_keeps_the_pruned_call_and_records_what_it_dropped(tmp_path):
    record = await searched("Which recipes have garlic in their name?", word="garlic", limit=3)
    settings = DistillSettings(judge=False, dedup="lexical", target_per_tool=0)
    await distill(
        [record], {"search": SEARCH}, tmp_path, settings, None, None, runnable={"search": SEARCH}
    )
    decision = json.loads((tmp_path / "decisions.json").read_text())[record.id]
    assert decision["kept"] and decision["pruned"] == ["limit=3"]
    [example] = [json.loads(line) for line in (tmp_path / "examples.jsonl").open()]
    assert example["turns"][0]["arguments"] == {"word": "garlic"}
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["tools"]["search"]["pruned"] == 1

    # --no-prune: the same trial is rejected for its invented argument
    (tmp_path / "off").mkdir()
    off = DistillSettings(judge=False, dedup="lexical", target_per_tool=0, prune=False)
    await distill(
        [record], {"search": SEARCH}, tmp_path / "off", off, None, None, runnable={"search": SEARCH}
    )
    decision = json.loads((tmp_path / "off" / "decisions.json").read_text())[record.id]
    assert decision["rejected_by"] == "grounded" and "pruned" not in decision


def weigh(pounds: float, precision: int = 4) -> dict:
    return {"kg": round(pounds * 0.45359237, precision), "unit": "kg"}


WEIGH = Tool(
    "weigh",
    "Convert pounds to kilograms.",
    {
        "type": "object",
        "properties": {
            "pounds": {"type": "number", "description": "Pounds."},
            "precision": {"type": "integer", "description": "Decimals.", "default": 4},
        },
        "required": ["pounds"],
    },
    weigh,
)


async def weighed(answer: str, **arguments):
    result = await execute(WEIGH, arguments)
    steps = [step("weigh", arguments, result.observation, True)]
    return trial(steps, final=answer, query="Convert 25 lb to kg", tool="weigh")


async def test_an_unasked_rounding_is_dropped_when_the_answer_follows_from_the_new_result():
    record = await weighed("25 lb is 11.34 kg.", pounds=25, precision=2)
    assert not all(c.ok for c in rule_checks(record, WEIGH, False))  # precision=2 unasked
    pruned, dropped = await prune(record, WEIGH)
    assert dropped == ["precision=2 (result read again)"]
    assert pruned.call_steps[0].call.arguments == {"pounds": 25}
    assert json.loads(pruned.call_steps[0].observation) == {"kg": 11.3398, "unit": "kg"}
    assert all(c.ok for c in rule_checks(pruned, WEIGH, False))


def test_only_a_result_that_differs_in_its_rounding_is_read_again():
    from ste.distill.pruning import only_rounded

    assert only_rounded('{"kg": 11.34, "n": [1, 2]}', '{"kg": 11.3398, "n": [1, 2]}')
    assert not only_rounded('{"kg": 11.34}', '{"kg": 11.3398, "note": "x"}')
    assert not only_rounded('{"names": ["a"]}', '{"names": ["a", "b"]}')
    assert not only_rounded('{"kg": 12}', '{"kg": 11.3398}')
