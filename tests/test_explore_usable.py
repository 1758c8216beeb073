"""Exploration aims at trials that can become examples: a request that is not one a person
would write is asked again, told what is wrong, and the stop rule counts usable trials
(honestly solved and passing distillation's rule checks), not merely solved ones."""

import json

import pytest

from ste.tools import load_tools
from test_explore import Explorer, run, trials_of


@pytest.fixture
def convert(toolboxes):
    return [t for t in load_tools(str(toolboxes / "sample.py")) if t.name == "convert"]


async def test_a_request_about_the_tool_is_asked_again_saying_what_is_wrong(convert, tmp_path):
    model = Explorer(imagine_first=["Let's try the tool with 5 km to see what it does."])
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    assert trials_of(run_dir)[0]["query"] == "How many miles is 1 km?"
    told = [
        r["messages"][-1]["content"]
        for r in model.requests
        if r["messages"][-1]["content"].startswith("That is not a request")
    ]
    assert len(told) == 1 and "talks about the tool" in told[0]


async def test_when_every_reply_talks_about_the_tool_the_last_request_is_still_tried(
    convert, tmp_path
):
    model = Explorer(
        imagine_first=["Let's try the tool with 5 km."],
        imagine_retry=["Let's try the tool with 7 km instead."],
        value=7,
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    trial = trials_of(run_dir)[0]
    assert trial["query"] == "Let's try the tool with 7 km instead."
    assert trial["calls"] == 1  # it still teaches the tool, though it is no example


async def test_solved_trials_whose_values_the_request_never_gave_do_not_stop_a_tool(
    convert, tmp_path
):
    # every call converts 999 km, a value no request names: solved, but no example
    invented = await run(Explorer(value=999), convert, tmp_path / "a", episodes=3, trials=2)
    assert {t["episode"] for t in trials_of(invented)} == {0, 1, 2}
    # the same tool with calls of the request's own values stops once it has enough
    grounded = await run(Explorer(), convert, tmp_path / "b", episodes=3, trials=2)
    assert {t["episode"] for t in trials_of(grounded)} == {0, 1}


async def test_a_trial_without_a_request_leaves_the_conversation(convert, tmp_path):
    # the model echoes the prompt instead of writing a request, twice: no request comes
    echo = "Invent one realistic request that a user might make."
    model = Explorer(imagine_first=[echo], imagine_retry=[echo, echo])
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=2, rebalance=False)
    first, second = trials_of(run_dir)
    assert first["query"] == "" and second["query"]
    # the second trial starts the conversation afresh: system prompt, then the first prompt
    asked = [r["messages"] for r in model.requests if model.stage(r["messages"]) == "imagine_first"]
    assert len(asked[-1]) == 2 and echo not in json.dumps(asked[-1])
    assert second["messages"][0]["content"].startswith("Invent one")


@pytest.mark.parametrize(
    "refusal",
    [
        "I'm sorry, but I can't help with that.",
        "I can help with that. Could you please provide me with the value to convert?",
        "What would you like to know about unit conversion?",
    ],
)
async def test_a_reply_that_declines_to_write_a_request_is_not_tried(convert, tmp_path, refusal):
    model = Explorer(imagine_first=[refusal], imagine_retry=[refusal, refusal])
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=2, rebalance=False)
    first, second = trials_of(run_dir)
    assert first["query"] == "" and first["calls"] == 0  # no refusal sent to the tool
    assert second["query"] and second["messages"][0]["content"].startswith("Invent one")
