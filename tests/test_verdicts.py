import pytest

from scripted import ScriptedModel
from ste.eval.judge import judge_arguments
from ste.verdicts import parse_yes_no, reason_after_verdict


@pytest.mark.parametrize(
    "reply, verdict",
    [
        ("Yes.", True),
        ("No.", False),
        ("yes, the call is right", True),
        ("  **Yes.** It matches.", True),
        ("> No - the date is wrong", False),
        ("Answer: Yes", True),
        ("Judgment: No. Missing the unit.", False),
        ("Final answer: yes", True),
        ("`No`", False),
        ("Reflection: **No**, the tool failed.", False),
        ("", None),
        ("The call is correct.", None),
        ("Nope", None),
        ("Yesterday's date was used", None),
        ("Not sure. No.", None),  # a later "No." is no verdict: never a substring test
        ("Number of items: no", None),
    ],
)
def test_yes_no_verdicts_are_read_from_the_first_word_only(reply, verdict):
    assert parse_yes_no(reply) is verdict


def test_reason_drops_the_verdict_word():
    assert reason_after_verdict("**No.** The unit is wrong.") == "The unit is wrong."
    assert reason_after_verdict("Yes") == ""


async def test_judge_asks_again_once_then_rejects_an_unparsable_judgment():
    model = ScriptedModel(["The call looks fine to me.", "I think it's fine."])
    judgment = await judge_arguments(model, "q", "api", {"a": 1}, {"a": 1})
    assert judgment.correct is False
    assert "no Yes/No verdict" in judgment.reason
    assert len(model.requests) == 2
    assert 'start with "Yes." or "No."' in model.requests[1]["messages"][-1]["content"]


async def test_judge_recovers_on_the_second_attempt_and_sees_both_calls():
    model = ScriptedModel(["Hmm.", "Yes. Same city."])
    judgment = await judge_arguments(
        model, "weather in Paris", "w", {"city": "Paris"}, {"city": "paris"}
    )
    assert judgment.correct is True and judgment.reason == "Same city."
    prompt = model.requests[0]["messages"][0]["content"]
    assert '{"city": "Paris"}' in prompt and '{"city": "paris"}' in prompt
    assert "weather in Paris" in prompt
