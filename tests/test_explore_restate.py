"""The restated request: a trial whose request left out a value the call needed (the model
made it up) is written again with that value, and kept only if every check then passes."""

import json

import pytest

from ste.checks.rules import usable
from ste.explore.report import review_line, summarise
from ste.explore.restate import missing_values, restated_trial
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer, run, trials_of

WITHOUT_DISTANCE = "How many miles did I run on my marathon training day?"


def _call(value: int, **more: int) -> str:
    arguments = json.dumps({"value": value, "unit": "km", **more})
    return f"Thought: convert\nAction: convert\nAction Input: {arguments}"


@pytest.fixture
def convert(toolboxes):
    return [t for t in load_tools(str(toolboxes / "sample.py")) if t.name == "convert"]


def _stage_prompts(model: Explorer, stage: str) -> list[str]:
    return [
        r["messages"][-1]["content"] for r in model.requests if model.stage(r["messages"]) == stage
    ]


async def test_a_request_without_the_value_its_call_made_up_is_restated_with_it(convert, tmp_path):
    model = Explorer(
        imagine_first=[WITHOUT_DISTANCE],
        imagine_retry=[WITHOUT_DISTANCE],  # told it lacks the distance, it writes it again
        value=42,
        restate=["How many miles did I run on my marathon training day? I ran 42 km."],
        restate_answer=["Thought: I now know the final answer\nFinal Answer: You ran 26.1 miles."],
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    (asked,) = _stage_prompts(model, "restate")
    assert "- 42 (The distance to convert.)" in asked  # the made-up value, described
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.query.endswith("I ran 42 km.") and trial.restated_from == WITHOUT_DISTANCE
    assert not _stage_prompts(model, "review")  # nothing left for the review to correct
    # answered again for the request as restated: the new answer passes every check
    assert trial.final_answer == "You ran 26.1 miles." and trial.steps[-1].final_answer
    assert usable(trial, convert[0])
    summary = summarise(run_dir.read_trials(), [])
    assert summary["overall"]["restated"] == 1 and "restated 1 request(s)" in review_line(summary)
    # the conversation goes on from the restated request, not the reply's wrapping
    assert trial.messages[-5]["content"] == trial.query  # (its answer, the reflection follow)


async def test_a_new_answer_that_fails_a_check_leaves_the_first(convert, tmp_path):
    # the answer written again gives a number no result holds: the first answer stays
    model = Explorer(
        imagine_first=[WITHOUT_DISTANCE],
        imagine_retry=[WITHOUT_DISTANCE],  # told it lacks the distance, it writes it again
        value=42,
        restate=["How many miles did I run on my marathon training day? I ran 42 km."],
        restate_answer=["Thought: I now know the final answer\nFinal Answer: About 30 miles."],
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.restated_from == WITHOUT_DISTANCE and trial.final_answer == "done"


async def test_a_restated_request_that_changes_the_value_is_not_kept(convert, tmp_path):
    # asked twice, the model restates 7 km where the call converted 42: the trial stays as
    # it was, and the review tells what is wrong with it
    model = Explorer(
        imagine_first=[WITHOUT_DISTANCE],
        imagine_retry=[WITHOUT_DISTANCE],  # told it lacks the distance, it writes it again
        value=42,
        restate=["How many miles is 7 km?", "How many miles is 7 km today?"],
    )
    run_dir = await run(model, convert, tmp_path, episodes=1, trials=1, rebalance=False)
    again = _stage_prompts(model, "restate")
    assert len(again) == 2 and "value=42: not from the request" in again[1]
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.query == WITHOUT_DISTANCE and trial.restated_from is None
    assert len(_stage_prompts(model, "review")) == 1


def _trial(query: str, call: dict, answer: str = "26.1 miles") -> Trial:
    return Trial.read(
        {
            "id": "convert/e1/t1",
            "tool": "convert",
            "episode": 0,
            "trial": 0,
            "seed": 1,
            "query": query,
            "final_answer": answer,
            "stop_reason": "final_answer",
            "steps": [
                {
                    "raw": "",
                    "call": {"name": "convert", "arguments": call},
                    "observation": '{"miles": 26.1}',
                    "tool_ok": True,
                }
            ],
        }
    )


def test_only_a_request_that_lacks_required_values_is_restated(convert):
    tool = convert[0]
    # the made-up distance and its unit, which the request (in miles) does not name
    assert missing_values(_trial(WITHOUT_DISTANCE, {"value": 42, "unit": "km"}), tool) == [
        ("value", 42),
        ("unit", "km"),
    ]
    # a value the request gives, passed as another: the call is wrong, not the request
    assert (
        missing_values(_trial("How many miles is 5 km?", {"value": 42, "unit": "km"}), tool) == []
    )
    # an optional value nobody asked for: the review's to correct
    unasked = {"value": 42, "unit": "km", "precision": 5}
    assert missing_values(_trial(WITHOUT_DISTANCE, unasked), tool) == []
    # nothing made up: nothing to restate
    assert (
        missing_values(_trial("How many miles is 42 km?", {"value": 42, "unit": "km"}), tool) == []
    )


def test_the_restated_trial_keeps_the_first_request_beside_it(convert):
    first = _trial(WITHOUT_DISTANCE, {"value": 42, "unit": "km"})
    restated = restated_trial(first, "How many miles is 42 km?")
    assert restated.restated_from == WITHOUT_DISTANCE
    assert restated.dump()["restated_from"] == WITHOUT_DISTANCE
    assert "restated_from" not in first.dump()  # only where it was restated
    assert usable(restated, convert[0]) and not usable(first, convert[0])


def test_ste_show_tells_the_request_a_trial_restated(convert):
    from rich.console import Console

    from ste.explore.report import trial_view

    restated = restated_trial(
        _trial(WITHOUT_DISTANCE, {"value": 42, "unit": "km"}), "How many miles is 42 km?"
    )
    console = Console(record=True, width=200)
    console.print(trial_view(restated))
    shown = console.export_text()
    assert f"Restated from: {WITHOUT_DISTANCE}" in shown and "How many miles is 42 km?" in shown


def test_a_value_named_in_code_is_no_value_the_request_lacks():
    from pathlib import Path

    from ste.explore.restate import unnamed_texts
    from ste.tools.tool import described_tool

    specs = json.loads((Path(__file__).parent / "data" / "labelled_tools.json").read_text())
    text_stats = described_tool(specs["text_stats"])
    trial = Trial.read(
        {
            "id": "text_stats/e1/t1",
            "tool": "text_stats",
            "episode": 0,
            "trial": 0,
            "seed": 1,
            "query": "The top 10 most common words in 'The quick brown fox jumps over the dog.'",
            "final_answer": "the, quick, brown",
            "steps": [
                {
                    "raw": "",
                    "call": {
                        "name": "text_stats",
                        "arguments": {
                            "text": "The quick brown fox jumps over the dog.",
                            "metric": "top_words",
                            "top_n": 10,
                        },
                    },
                    "observation": '{"metric": "top_words", "value": []}',
                    "tool_ok": True,
                }
            ],
        }
    )
    assert unnamed_texts(trial, text_stats) == []  # "top_words" is said in words
    other = trial.model_copy(update={"query": "The top 10 most common words in my text."})
    assert unnamed_texts(other, text_stats) == [("text", "The quick brown fox jumps over the dog.")]


def test_a_value_the_tool_qualifies_is_named_by_its_own_part():
    from ste.explore.restate import _named

    assert _named("Convert 17:30 Paris time to Tokyo time.", "Europe/Paris")
    assert _named("From New York to Tokyo at noon.", "America/New_York")
    assert _named("How far is London from Paris?", "London, GB")
    assert not _named("A time in Europe to Tokyo.", "Europe/Paris")  # no city named
    assert not _named("A city in GB.", "London, GB")
    assert not _named("The capital of China.", "CHN")


WORDS = '''
def count_words(text: str) -> dict:
    """Count the words of a text.

    Args:
        text: The text to count.
    """
    return {"words": len(text.split())}
'''


async def test_a_restated_request_may_repeat_a_long_value_the_prompt_lists(tmp_path):
    # the text given back is six words or more of the prompt: the values, not an echo
    toolbox = tmp_path / "words.py"
    toolbox.write_text(WORDS)
    tools = load_tools(str(toolbox))
    text = "The quick brown fox jumps over the lazy dog."
    call = json.dumps({"text": text})
    model = Explorer(
        imagine_first=["How many words are in my favourite pangram?"],
        restate=[f"How many words are in my favourite pangram: {text}"],
        restate_answer=["Thought: I now know the final answer\nFinal Answer: It has 9 words."],
    )
    model.overrides["try"] = [f"Thought: count\nAction: count_words\nAction Input: {call}"]
    model.overrides["observation"] = [
        "Thought: I now know the final answer\nFinal Answer: 9 words."
    ]
    run_dir = await run(model, tools, tmp_path, episodes=1, trials=1, rebalance=False)
    trial = Trial.read(trials_of(run_dir)[0])
    assert trial.restated_from == "How many words are in my favourite pangram?"
    assert trial.query.endswith(text) and trial.final_answer == "It has 9 words."


def test_an_identifier_the_call_made_up_is_a_value_the_request_lacks(tmp_path):
    toolbox = tmp_path / "versions.py"
    toolbox.write_text(
        "def compare_versions(version_a: str, version_b: str) -> dict:\n"
        '    """Compare two semantic versions.\n\n    Args:\n'
        "        version_a: The first version.\n        version_b: The second version.\n"
        '    """\n'
        "    return {'newer': 'b'}\n"
    )
    (tool,) = load_tools(str(toolbox))
    made_up = {"version_a": "1.4.2", "version_b": "2.0.0-rc.1"}
    trial = Trial.read(
        {
            "id": "compare_versions/e1/t1",
            "tool": "compare_versions",
            "episode": 0,
            "trial": 0,
            "seed": 1,
            "query": "Which of two releases of my library is the newer one?",
            "final_answer": "2.0.0-rc.1 is newer.",
            "stop_reason": "final_answer",
            "steps": [
                {
                    "raw": "",
                    "call": {"name": "compare_versions", "arguments": made_up},
                    "observation": '{"newer": "b"}',
                    "tool_ok": True,
                }
            ],
        }
    )
    assert missing_values(trial, tool) == list(made_up.items())
    given = trial.model_copy(update={"query": "Is 2.0.0-rc.1 newer than 1.4.2?"})
    assert missing_values(given, tool) == []
