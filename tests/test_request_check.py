"""The call checked against the request before it runs (`ste eval --check-call`)."""

from __future__ import annotations

import json

import pytest

from scripted import ScriptedModel
from ste.agent.trajectory import CallRecord
from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
from ste.eval.testset import load_tests
from ste.icl.request_check import fix_kept
from ste.tools import load_tools

ITEM = {
    "id": "distance",
    "query": "How many miles are 10 kilometres?",
    "expected": [{"name": "convert", "arguments": {"value": 10, "unit": "km"}}],
}


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


async def evaluate(tools, tmp_path, replies, check_call=True):
    tmp_path.mkdir(exist_ok=True)
    tests = tmp_path / "tests.jsonl"
    tests.write_text(json.dumps(ITEM) + "\n")
    model = ScriptedModel(replies)
    settings = EvalSettings(check_call=check_call)
    out = tmp_path / "results"
    prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
    (record,) = await run_eval(model, tools, load_tests(tests, ["convert", "tag"]), out, settings)
    return model, record


async def test_a_call_failing_a_check_is_asked_again_told_why(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 100, "unit": "km"}',  # 100: not asked
        'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
    ]
    model, record = await evaluate(tools, tmp_path, replies)
    assert record.correct and record.call["arguments"] == {"value": 10, "unit": "km"}
    assert record.call_before_check["arguments"] == {"value": 100, "unit": "km"}
    assert record.usage.calls == 2
    told = model.requests[1]["messages"]
    assert told[:-1] == [*model.requests[0]["messages"], told[-2]]  # the call stays before it
    assert told[-1]["role"] == "user"
    assert 'your call of convert with {"value": 100, "unit": "km"}' in told[-1]["content"]
    assert "value=100: not from the request" in told[-1]["content"]


async def test_a_call_written_again_that_fixes_nothing_leaves_the_first(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 100, "unit": "km"}',
        'Action: convert\nAction Input: {"value": 37, "unit": "km"}',  # still not asked
    ]
    _, record = await evaluate(tools, tmp_path, replies)
    assert record.call["arguments"] == {"value": 100, "unit": "km"} and not record.correct
    assert record.call_before_check is not None


async def test_a_call_that_passes_every_check_is_not_asked_again(tools, tmp_path):
    replies = ['Action: convert\nAction Input: {"value": 10, "unit": "km"}']
    model, record = await evaluate(tools, tmp_path, replies)
    assert record.correct and record.call_before_check is None
    assert len(model.requests) == 1
    # without --check-call a failing call is scored as written
    replies = ['Action: convert\nAction Input: {"value": 100, "unit": "km"}']
    model, record = await evaluate(tools, tmp_path / "off", replies, check_call=False)
    assert not record.correct and len(model.requests) == 1


def test_only_a_call_of_the_same_tool_that_fails_fewer_checks_stands(tools):
    convert = next(t for t in tools if t.name == "convert")
    query = ITEM["query"]
    wrong = CallRecord(name="convert", arguments={"value": 100, "unit": "km"})
    right = CallRecord(name="convert", arguments={"value": 10, "unit": "km"})
    assert fix_kept(wrong, right, query, convert) is right
    assert fix_kept(wrong, None, query, convert) is wrong
    assert (
        fix_kept(wrong, CallRecord(name="tag", arguments={"items": [10]}), query, convert) is wrong
    )
    # fixing one check while failing another it passed is no fix
    invalid = CallRecord(name="convert", arguments={"value": 10, "unit": "miles"})
    assert fix_kept(wrong, invalid, query, convert) is wrong


async def test_a_value_a_check_works_out_is_offered_in_the_call_asked_for(tmp_path):
    from ste.tools import Tool

    def loan(amount: float, term_months: int) -> dict:
        return {"monthly_payment": round(amount / term_months, 2)}

    schema = {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "term_months": {"type": "integer", "description": "Loan term in months."},
        },
        "required": ["amount", "term_months"],
    }
    tools = [Tool("loan", "The monthly payment of a loan.", schema, loan)]
    item = {
        "id": "loan",
        "query": "The monthly payment on a 20-year loan of 1200?",
        "expected": [{"name": "loan", "arguments": {"amount": 1200, "term_months": 240}}],
    }
    tests = tmp_path / "tests.jsonl"
    tests.write_text(json.dumps(item) + "\n")
    model = ScriptedModel(
        [
            'Action: loan\nAction Input: {"amount": 1200, "term_months": 20}',
            'Action: loan\nAction Input: {"amount": 1200, "term_months": 240}',
        ]
    )
    settings = EvalSettings(check_call=True)
    out = tmp_path / "results"
    prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
    (record,) = await run_eval(model, tools, load_tests(tests, ["loan"]), out, settings)
    told = model.requests[1]["messages"][-1]["content"]
    assert "(20 year is 240 months)" in told
    assert '{"amount": 1200, "term_months": 240}' in told  # the call with the value fixed
    assert record.correct and record.call["arguments"]["term_months"] == 240


async def test_an_optional_argument_nobody_asked_for_is_offered_back_at_its_default(
    tools, tmp_path
):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "km", "precision": 7}',
        'Action: convert\nAction Input: {"value": 10, "unit": "km", "precision": 2}',
    ]
    model, record = await evaluate(tools, tmp_path, replies)
    told = model.requests[1]["messages"][-1]["content"]
    assert "precision=7: not from the request" in told
    assert '{"value": 10, "unit": "km", "precision": 2}' in told
    assert record.call["arguments"]["precision"] == 2
