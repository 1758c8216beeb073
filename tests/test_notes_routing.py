"""Notes beside the request (`ste eval --notes-for routed` or `chosen`): a request sees the
notes of one tool, the one its text is most about or the one the model called, not every
tool's."""

from __future__ import annotations

import json

import pytest

from scripted import ScriptedModel
from ste import embeddings
from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
from ste.eval.testset import load_tests
from ste.icl.routing import RoutedNotes
from ste.tools import load_tools

NOTES = {
    "kind": "ste-notes",
    "tools": {
        "convert": {"notes": [{"text": "unit is 'km' or 'mi', never 'miles'."}]},
        "tag": {"notes": [{"text": "items are whole numbers."}]},
    },
}
ITEMS = [
    {
        "id": "distance",
        "query": "How many miles are 10 kilometres?",
        "expected": [{"name": "convert", "arguments": {"value": 10, "unit": "km"}}],
    },
    {
        "id": "labels",
        "query": "Label the numbers 1 and 2.",
        "expected": [{"name": "tag", "arguments": {"items": [1, 2]}}],
    },
]


async def evaluate(tools, tmp_path, replies, notes_for, notes=NOTES, items=ITEMS):
    """Score `items` with a scripted model giving `replies`, the notes shown as `notes_for`
    says: (the model, its records, the settings, the test file)."""
    (tmp_path / "notes.json").write_text(json.dumps(notes))
    tests = tmp_path / "tests.jsonl"
    tests.write_text("".join(json.dumps(item) + "\n" for item in items))
    model = ScriptedModel(replies)
    settings = EvalSettings(notes=str(tmp_path), notes_for=notes_for)
    out = tmp_path / "results"
    prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
    records = await run_eval(
        model, tools, load_tests(tests, [t.name for t in tools]), out, settings
    )
    return model, records, settings, tests


@pytest.fixture(params=["embedding", "lexical"])
def method(request, monkeypatch):
    if request.param == "embedding" and not embeddings.available():
        pytest.skip("the embedding model is not installed")
    if request.param == "lexical":
        monkeypatch.setattr(embeddings, "available", lambda: False)
    return request.param


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


def test_a_request_is_routed_to_the_tool_it_is_about(tools, method):
    routed = RoutedNotes({}, tools)
    names = [t.name for t in tools]
    assert routed.route("How many miles are 10 kilometres?", names) == "convert"
    assert routed.route("Label the numbers 1 and 2.", names) == "tag"
    assert routed.route("Label the numbers 1 and 2.", ["convert"]) == "convert"  # offered only
    assert routed.route("anything", []) is None


async def test_each_request_reads_only_its_tools_notes(tools, tmp_path, method):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
        'Action: tag\nAction Input: {"items": [1, 2]}',
    ]
    model, records, settings, tests = await evaluate(tools, tmp_path, replies, "routed")
    assert [r.notes_of for r in records] == ["convert", "tag"]
    assert all(r.correct for r in records)
    first, second = (r["messages"][-1]["content"] for r in model.requests)
    assert "never 'miles'" in first and "whole numbers" not in first
    assert "whole numbers" in second and "never 'miles'" not in second
    assert first.index("never 'miles'") < first.index("How many miles are 10 kilometres?")
    # beside the request: the system prompt (the tool list) is the same for every request
    systems = {r["messages"][0]["content"] for r in model.requests}
    assert len(systems) == 1 and "never 'miles'" not in systems.pop()
    assert settings.manifest(model, tests, tools)["notes_for"] == "routed"


def test_notes_follow_the_demonstrations_and_precede_the_request():
    from ste.icl.demonstrations import preface

    plain = preface("User Query: q\nFinal Answer: a")
    with_notes = preface("User Query: q\nFinal Answer: a", "Notes: - km only")
    assert plain.endswith("Final Answer: a\n\nNow the request to solve.")
    assert with_notes == plain.replace("Now the request", "Notes: - km only\n\nNow the request")
    assert preface("", "Notes: - km only") == "Notes: - km only\n\nNow the request to solve."
    assert preface("") == ""


async def test_chosen_asks_again_with_the_notes_of_the_tool_the_model_called(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "miles"}',  # without notes
        'Action: convert\nAction Input: {"value": 10, "unit": "km"}',  # with its notes
        'Action: tag\nAction Input: {"items": ["1", "2"]}',
        'Action: tag\nAction Input: {"items": [1, 2]}',
    ]
    model, records, _, _ = await evaluate(tools, tmp_path, replies, "chosen")
    assert [r.notes_of for r in records] == ["convert", "tag"]
    assert [r.correct for r in records] == [True, True]  # the call made with the notes
    assert records[0].call_before_notes == {
        "name": "convert",
        "arguments": {"value": 10, "unit": "miles"},
    }
    assert records[0].usage.calls == 2  # both requests counted
    asked = [r["messages"][-1]["content"] for r in model.requests]
    assert "never 'miles'" not in asked[0] and "never 'miles'" in asked[1]
    assert "whole numbers" not in asked[2] and "whole numbers" in asked[3]


async def test_chosen_keeps_the_numbers_of_the_request_the_first_call_had(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "miles"}',  # without notes
        'Action: convert\nAction Input: {"value": 100, "unit": "km", "precision": 3}',
    ]
    _, (record,), _, _ = await evaluate(tools, tmp_path, replies, "chosen", items=ITEMS[:1])
    # the unit the notes taught stands; 100, which the request never gave, is put back to 10,
    # and precision=3, added with no support in the request, is taken out
    assert record.call == {"name": "convert", "arguments": {"value": 10, "unit": "km"}}
    assert record.call_before_notes["arguments"]["value"] == 10


def test_a_changed_number_the_request_supports_stands():
    from ste.agent.trajectory import CallRecord
    from ste.icl.check import numbers_kept

    before = CallRecord(name="loan", arguments={"amount": 30000, "term_months": 6})
    after = CallRecord(name="loan", arguments={"amount": 300000, "term_months": 72})
    kept = numbers_kept(before, after, "A $30,000 loan over 6 years?")
    assert kept.arguments == {"amount": 30000, "term_months": 72}  # 6 years as 72 months
    other = CallRecord(name="convert", arguments={"amount": 300000})
    assert numbers_kept(before, other, "A $30,000 loan over 6 years?") is other


async def test_chosen_without_notes_for_the_called_tool_asks_once(tools, tmp_path):
    replies = ['Action: convert\nAction Input: {"value": 10, "unit": "km"}']
    no_notes = {"kind": "ste-notes", "tools": {}}
    model, (record,), _, _ = await evaluate(
        tools, tmp_path, replies, "chosen", notes=no_notes, items=ITEMS[:1]
    )
    assert record.correct and record.notes_of is None and record.call_before_notes is None
    assert len(model.requests) == 1


async def test_checked_shows_the_call_the_notes_of_its_tool_and_asks_for_it_again(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "miles"}',  # without notes
        'Action: convert\nAction Input: {"value": 10, "unit": "km"}',  # checked against them
        'Action: tag\nAction Input: {"items": [1, 2]}',
        'Action: tag\nAction Input: {"items": [1, 2]}',  # unchanged
    ]
    model, records, _, _ = await evaluate(tools, tmp_path, replies, "checked")
    assert [r.correct for r in records] == [True, True]
    assert [r.notes_of for r in records] == ["convert", "tag"]
    assert records[0].call_before_notes["arguments"] == {"value": 10, "unit": "miles"}
    assert records[0].usage.calls == 2
    check = model.requests[1]["messages"]
    # the request and the first call stay in the conversation; the notes come after the call
    assert check[:-1] == [*model.requests[0]["messages"], check[-2]]
    assert check[-2] == {
        "role": "assistant",
        "content": 'Action: convert\nAction Input: {"value": 10, "unit": "miles"}',
    }
    assert check[-1]["role"] == "user" and "never 'miles'" in check[-1]["content"]
    assert "Check the call you wrote against these notes" in check[-1]["content"]
    assert "never 'miles'" not in model.requests[0]["messages"][-1]["content"]


def test_a_native_call_is_answered_before_the_notes_follow_it():
    from ste.icl.check import _after_reply

    reply = {"role": "assistant", "content": None, "tool_calls": [{"id": "c1"}, {"id": "c2"}]}
    assert _after_reply(reply, "notes") == [
        {"role": "tool", "tool_call_id": "c1", "content": "notes"},
        {"role": "tool", "tool_call_id": "c2", "content": "notes"},
    ]
    assert _after_reply({"role": "assistant", "content": "Action: x"}, "notes") == [
        {"role": "user", "content": "notes"}
    ]


async def test_checked_keeps_the_first_call_when_none_is_written_again(tools, tmp_path):
    replies = [
        'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
        "Thought: The call I wrote is already correct and follows the notes.",  # no call
    ]
    model, (record,), _, _ = await evaluate(tools, tmp_path, replies, "checked", items=ITEMS[:1])
    assert record.correct and record.call == {
        "name": "convert",
        "arguments": {"value": 10, "unit": "km"},
    }
    assert record.usage.calls == 2 and len(model.requests) == 2
