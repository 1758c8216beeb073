"""A trial whose calls are right and whose answer is not, answered again from its results
(`ste.distill.answer_again`): which trials qualify, the new answer kept only if every check
then passes, the judge asked again of it, and a resumed distillation asking nothing."""

import json

import pytest

from scripted import ScriptedModel
from ste.checks.rules import rule_checks
from ste.distill.answer_again import answer_only
from ste.distill.pipeline import DistillSettings, distill
from ste.records import Judgment
from ste.tools import load_tools
from test_distill import GOOD, step, trial

RESULT = '{"result": 6.21, "unit": "mi"}'
GARBLED = "10 km is 62.1 mi"  # a number the result does not hold


@pytest.fixture
def convert(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))[0]


@pytest.fixture
def garbled():
    return trial([step("convert", {"value": 10, "unit": "km"}, RESULT, True)], final=GARBLED)


def test_only_a_trial_failing_checks_of_its_answer_alone_qualifies(convert, garbled):
    assert answer_only(rule_checks(garbled, convert, True))
    invented = trial([step("convert", {"value": 100, "unit": "km"}, RESULT, True)], final=GARBLED)
    assert not answer_only(rule_checks(invented, convert, True))  # its call is wrong too
    unsure = trial(
        [step("convert", {"value": 10, "unit": "km"}, RESULT, True)], final=GARBLED, solved=False
    )
    assert not answer_only(rule_checks(unsure, convert, True))  # its model said it failed
    right = trial([step("convert", {"value": 10, "unit": "km"}, RESULT, True)])
    assert not answer_only(rule_checks(right, convert, True))  # nothing failed


async def test_a_garbled_answer_written_again_from_the_results_keeps_the_trial(
    convert, garbled, tmp_path
):
    out = tmp_path / "data"
    out.mkdir()
    settings = DistillSettings(dedup="lexical", target_per_tool=0, judge=False)
    model = ScriptedModel(["Final Answer: 10 km is 6.21 miles."])
    tools = {"convert": convert}
    summary = await distill([garbled], tools, out, settings, None, model, runnable=tools)
    assert summary["kept"] == 1 and summary["answered_again"] == 1
    prompt = model.requests[0]["messages"][0]["content"]
    assert "How many miles is 10 km?" in prompt
    assert 'convert({"value": 10, "unit": "km"}) -> ' + RESULT in prompt
    decision = json.loads((out / "decisions.json").read_text())["convert/e1/t1"]
    assert decision["answered_again"] == {
        "first": GARBLED,
        "kept": True,
        "reason": "every check passes",
    }
    (example,) = [json.loads(line) for line in (out / "examples.jsonl").read_text().splitlines()]
    assert example["final_answer"] == "10 km is 6.21 miles."
    assert example["turns"][0]["observation"] == RESULT  # the call and result stay the trial's

    again = ScriptedModel([])  # resumed: the answer is read back, nothing asked
    summary = await distill([garbled], tools, out, settings, None, again, runnable=tools)
    assert summary["answered_again"] == 1 and not again.requests


async def test_an_answer_written_again_that_still_fails_leaves_the_trial_out(
    convert, garbled, tmp_path
):
    out = tmp_path / "data"
    out.mkdir()
    settings = DistillSettings(dedup="lexical", target_per_tool=0, judge=False)
    model = ScriptedModel(["10 km is about 7.5 miles."])
    tools = {"convert": convert}
    summary = await distill([garbled], tools, out, settings, None, model, runnable=tools)
    assert summary["kept"] == 0 and summary["answered_again"] == 0
    decision = json.loads((out / "decisions.json").read_text())["convert/e1/t1"]
    assert decision["rejected_by"] == "faithful" and "62.1" in decision["reason"]
    assert not decision["answered_again"]["kept"] and "7.5" in decision["answered_again"]["reason"]


async def test_switched_off_no_answer_is_written_again(convert, garbled, tmp_path):
    out = tmp_path / "data"
    out.mkdir()
    settings = DistillSettings(dedup="lexical", target_per_tool=0, judge=False, answer_again=False)
    model = ScriptedModel([])
    tools = {"convert": convert}
    summary = await distill([garbled], tools, out, settings, None, model, runnable=tools)
    assert summary["kept"] == 0 and not model.requests


async def test_the_judge_judges_the_answer_written_again_not_an_earlier_judgment(
    convert, garbled, tmp_path
):
    out = tmp_path / "data"
    out.mkdir()
    # a judgment of the answer as practised, from an earlier distillation
    stale = Judgment(trial="convert/e1/t1", ok=False, reason="not faithful")
    (out / "judgments.jsonl").write_text(json.dumps(stale.model_dump()) + "\n")
    settings = DistillSettings(dedup="lexical", target_per_tool=0)
    judge = ScriptedModel(["Final Answer: 10 km is 6.21 miles.", GOOD])
    tools = {"convert": convert}
    summary = await distill([garbled], tools, out, settings, judge, None, runnable=tools)
    assert summary["kept"] == 1
    assert "10 km is 6.21 miles." in judge.requests[1]["messages"][-1]["content"]
    judgments = [json.loads(line) for line in (out / "judgments.jsonl").read_text().splitlines()]
    assert judgments[-1]["answered_again"] is True and judgments[-1]["ok"] is True


def test_an_answer_written_again_must_state_what_the_results_add(convert):
    from ste.distill.answer_again import adds_to_request

    def answered_as(answer, query="How many miles is 10 km?"):
        call = step("convert", {"value": 10, "unit": "km"}, RESULT, True)
        return trial([call], final=answer, query=query)

    assert adds_to_request(answered_as("10 km is 6.21 miles.")).ok
    check = adds_to_request(answered_as("10 km"))  # the request's own value, restated
    assert not check.ok and "nothing the results add" in check.reason
    assert adds_to_request(answered_as("6.21")).ok


def test_a_result_picking_out_a_passed_value_adds_it_to_the_request():
    from ste.distill.answer_again import adds_to_request

    result = '{"comparison": -1, "newer": "b"}'
    compared = step("compare", {"version_a": "1.4.2", "version_b": "2.0.0"}, result, True)
    query = "Which is newer, 1.4.2 or 2.0.0?"
    newer = trial([compared], final="2.0.0 is newer than 1.4.2.", query=query, tool="compare")
    assert adds_to_request(newer).ok
    echoed = trial([compared], final="You asked about 1.4.2.", query=query, tool="compare")
    assert not adds_to_request(echoed).ok  # the value the result does not pick


def test_a_short_text_of_a_result_counts_as_a_word_of_its_own():
    from ste.distill.answer_again import adds_to_request

    result = '{"code": 200, "phrase": "OK", "class": "2xx Success"}'
    looked_up = step("http_status", {"code": 200}, result, True)
    query = "What does the status code 200 mean?"
    said = trial([looked_up], final='Code 200 means "OK".', query=query, tool="http_status")
    assert adds_to_request(said).ok
    inside = trial([looked_up], final="Code 200 looks fine.", query=query, tool="http_status")
    assert not adds_to_request(inside).ok  # "ok" inside "looks" is no word of its own


def test_a_single_digit_result_stated_is_what_the_results_add():
    from ste.distill.answer_again import adds_to_request

    computed = step("calculate", {"expression": "(1 + 4) / 2 * 2"}, '{"result": 5}', True)
    query = "What is (1 + 4) / 2 * 2?"
    said = trial([computed], final="(1 + 4) / 2 * 2 is 5.", query=query, tool="calculate")
    assert adds_to_request(said).ok
    echo = "You asked for (1 + 4) / 2 * 2."
    echoed = trial([computed], final=echo, query=query, tool="calculate")
    assert not adds_to_request(echoed).ok
    four = step("calculate", {"expression": "2 + 2"}, '{"result": 4}', True)
    asked = "What is 2 + 2 + 4?"
    given = trial([four], final="It is 4, as in 2 + 4.", query=asked, tool="calculate")
    assert not adds_to_request(given).ok  # 4 is the request's own
