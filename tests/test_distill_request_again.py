"""A trial whose request left out the value its call chose, asked for again from the call in
a fresh conversation (`ste.distill.request_again`): which trials qualify, the new request and
its new answer kept only if every check then passes, nothing asked twice when resumed."""

import json

import pytest

from scripted import ScriptedModel
from ste.checks.rules import rule_checks
from ste.distill.pipeline import DistillSettings, distill
from ste.distill.request_again import request_fault
from ste.explore.restate import missing_values
from ste.tools import load_tools
from test_distill import GOOD, step, trial

RESULT = '{"result": 6.21, "unit": "mi"}'
VAGUE = "How many miles did I run this morning in my km race?"


@pytest.fixture
def convert(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))[0]


@pytest.fixture
def vague():
    """A request without the distance; the call chose 10 km."""
    call = step("convert", {"value": 10, "unit": "km"}, RESULT, True)
    return trial([call], final="You ran 6.21 miles.", query=VAGUE)


def settings(**changes):
    return DistillSettings(dedup="lexical", target_per_tool=0, judge=False, **changes)


def test_a_trial_whose_request_is_at_fault_qualifies(convert, vague):
    assert missing_values(vague, convert) == [("value", 10)]
    fault = request_fault(vague, rule_checks(vague, convert, True), convert)
    assert "- 10 (The distance to convert.)" in fault
    call = step("convert", {"value": 10, "unit": "km"}, RESULT, True)
    right = trial([call])
    assert request_fault(right, rule_checks(right, convert, True), convert) == ""
    spoken = trial([call], query="Please provide the input 10 for the value, in km, as miles.")
    fault = request_fault(spoken, rule_checks(spoken, convert, True), convert)
    assert "not one a user would write" in fault and "provide the input" in fault
    # its answer wrong too: both are written again from the call, and every check judged anew
    wrong = trial([call], final="10 km is 7 mi", query=spoken.query)
    assert "provide the input" in request_fault(wrong, rule_checks(wrong, convert, True), convert)
    # but no request mends a call that failed, or one the schema refuses
    failed = step("convert", {"value": 10, "unit": "km"}, "Error: down", False)
    broken = trial([failed], final="I could not.", query=spoken.query)
    assert request_fault(broken, rule_checks(broken, convert, True), convert) == ""
    invalid = step("convert", {"value": 10, "unit": "league"}, RESULT, True)
    refused = trial([invalid], query=spoken.query)
    assert request_fault(refused, rule_checks(refused, convert, True), convert) == ""


async def test_the_request_asked_again_with_the_chosen_value_keeps_the_trial(
    convert, vague, tmp_path
):
    out = tmp_path / "data"
    out.mkdir()
    model = ScriptedModel(
        ["Request: How many miles is the 10 km race I ran this morning?", "It was 6.21 miles."]
    )
    tools = {"convert": convert}
    summary = await distill([vague], tools, out, settings(), None, model, runnable=tools)
    assert summary["kept"] == 1 and summary["requested_again"] == 1
    asked = model.requests[0]["messages"]
    assert len(asked) == 1  # a fresh conversation: the request, the call, its result
    prompt = asked[0]["content"]
    assert '- with {"value": 10, "unit": "km"}: ' + RESULT in prompt
    assert VAGUE not in prompt  # shown it, a small model copies it
    assert "- 10 (The distance to convert.)" in prompt
    assert "How many miles is the 10 km race" in model.requests[1]["messages"][0]["content"]
    decision = json.loads((out / "decisions.json").read_text())["convert/e1/t1"]
    assert decision["requested_again"] == {
        "first": VAGUE,
        "kept": True,
        "reason": "every check passes",
    }
    (example,) = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert example["query"] == "How many miles is the 10 km race I ran this morning?"
    assert example["final_answer"] == "It was 6.21 miles."
    assert example["turns"][0]["observation"] == RESULT  # the call and result stay the trial's
    (record,) = [json.loads(line) for line in (out / "requests.jsonl").read_text().splitlines()]
    assert record["fault"].endswith("- 10 (The distance to convert.)")
    assert record["answer"] == "It was 6.21 miles."

    again = ScriptedModel([])  # resumed: the request is read back, nothing asked
    summary = await distill([vague], tools, out, settings(), None, again, runnable=tools)
    assert summary["requested_again"] == 1 and not again.requests


@pytest.mark.parametrize(
    ("replies", "why"),
    [
        ([VAGUE, VAGUE], "no request in the reply"),  # the old request again, twice
        (["How far in miles was the km race I ran today?", "6.21 miles."], "value=10"),
        (["How many miles is a 10 km race?", "It is 7.5 miles."], "7.5"),
    ],
)
async def test_a_request_asked_again_that_still_fails_leaves_the_trial_out(
    convert, vague, tmp_path, replies, why
):
    out = tmp_path / "data"
    out.mkdir()
    tools = {"convert": convert}
    model = ScriptedModel(replies)
    summary = await distill([vague], tools, out, settings(), None, model, runnable=tools)
    assert summary["kept"] == 0 and summary["requested_again"] == 0
    decision = json.loads((out / "decisions.json").read_text())["convert/e1/t1"]
    assert decision["rejected_by"] == "grounded"  # the trial's own fault, as before
    assert not decision["requested_again"]["kept"] and why in decision["requested_again"]["reason"]


async def test_switched_off_no_request_is_asked_again(convert, vague, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    model = ScriptedModel([])
    tools = {"convert": convert}
    summary = await distill(
        [vague], tools, out, settings(request_again=False), None, model, runnable=tools
    )
    assert summary["kept"] == 0 and not model.requests


async def test_the_judge_judges_the_new_request(convert, vague, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    judge = ScriptedModel(["How many miles is a 10 km race?", "A 10 km race is 6.21 miles.", GOOD])
    tools = {"convert": convert}
    both = DistillSettings(dedup="lexical", target_per_tool=0)
    summary = await distill([vague], tools, out, both, judge, None, runnable=tools)
    assert summary["kept"] == 1
    assert "How many miles is a 10 km race?" in judge.requests[2]["messages"][-1]["content"]
    (judgment,) = [json.loads(line) for line in (out / "judgments.jsonl").read_text().splitlines()]
    assert judgment["query"] == "How many miles is a 10 km race?"


async def test_the_old_request_written_again_is_asked_for_once_more_sampled(
    convert, vague, tmp_path
):
    out = tmp_path / "data"
    out.mkdir()
    tools = {"convert": convert}
    model = ScriptedModel([VAGUE, "How many miles is a 10 km race?", "It is 6.21 miles."])
    summary = await distill([vague], tools, out, settings(), None, model, runnable=tools)
    assert summary["requested_again"] == 1
    first, second = (r["temperature"] for r in model.requests[:2])
    assert first == 0.0 and second == 1.0
