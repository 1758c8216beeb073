"""The exploration algorithm with a scripted explorer: memories, reflection, ablations, resume."""

import asyncio
import datetime
import json
from typing import Any

import pytest

from ste.explore import ExploreSettings, RunDir, explore
from ste.explore.memory import clean_query
from ste.explore.report import summarise
from ste.explore.settings import manifest
from ste.models.base import ChatResponse, Usage
from ste.tools import load_tools
from ste.workdir import differences as manifest_differences


class Explorer:
    """Answers each exploration stage by the last user message, and records every request."""

    def __init__(
        self, reflection: str = "Yes. It worked.", value: int | None = None, **overrides: Any
    ):
        self.name = "explorer"
        self.requests: list[dict[str, Any]] = []
        self.reflection = reflection
        self.value = value  # the call's distance; None: the one in the latest query
        self.overrides = overrides  # stage -> list of replies used first
        self.count = 0

    def stage(self, messages: list[dict]) -> str:
        last = messages[-1]["content"]
        if last.startswith("Invent one"):
            return "imagine_first"
        if last.startswith("You now know more") or last.startswith("No call of the tool"):
            return "imagine_next"
        if (
            last.startswith("Write only the user's request")
            or last.startswith("That is not a request")
            or last.startswith("That request is nearly")
            or last.startswith("That request does not give")
            or last.startswith("The tool cannot fulfil")
            or last.startswith("That request keeps to")
        ):
            return "imagine_retry"
        if last.startswith("Now fulfil"):
            return "try"
        if last.startswith("Observation:"):
            return "observation"
        if last.startswith("Did you fulfil") or last.startswith("Your reply must start"):
            return "reflect"
        if last.startswith("You have no turns left"):
            return "answer_at_limit"
        if last.startswith("Before you finish"):
            return "review"
        if last.startswith("Your request did not give") or last.startswith(
            "That request cannot be kept"
        ):
            return "restate"
        if last.startswith("That is the request now"):
            return "restate_answer"
        if last.startswith("User Query: Call "):
            return "call_first"
        if last.startswith("The tool "):
            return "request_from_call"
        raise AssertionError(f"unexpected prompt: {last[:80]}")

    async def chat(self, messages, **options) -> ChatResponse:
        await asyncio.sleep(0)
        self.requests.append({"messages": [dict(m) for m in messages], **options})
        stage = self.stage(messages)
        queued = self.overrides.get(stage)
        if queued:
            text = queued.pop(0)
        elif stage.startswith("imagine"):
            self.count += 1
            text = f"User Query: How many miles is {self.count} km?"
        elif stage in ("try", "review"):
            value = self.count if self.value is None else self.value
            arguments = json.dumps({"value": value, "unit": "km"})
            text = f"Thought: convert\nAction: convert\nAction Input: {arguments}"
        elif stage == "call_first":  # no call, so no request written from one
            text = "Thought: I would rather not.\nFinal Answer: none"
        elif stage in ("observation", "answer_at_limit", "restate_answer"):
            text = "Thought: I now know the final answer\nFinal Answer: done"
        else:
            text = self.reflection
        return ChatResponse(text=text, usage=Usage(10, 5, 1, 4))


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


def trials_of(run_dir: RunDir) -> list[dict]:
    """The trials as trials.jsonl holds them (JSON objects)."""
    return [trial.dump() for trial in run_dir.read_trials()]


async def run(model, tools, tmp_path, **settings):
    run_dir = RunDir(tmp_path / "run")
    chosen = ExploreSettings(**{"episodes": 2, "trials": 2, **settings})
    run_dir.write_manifest(manifest(model.name, tools, chosen))
    await explore(model, tools, chosen, run_dir)
    return run_dir


def imagination_prompts(model: Explorer) -> list[list[dict]]:
    return [r["messages"] for r in model.requests if model.stage(r["messages"]) == "imagine_first"]


async def test_an_episode_keeps_its_trials_in_one_conversation(tools, tmp_path):
    model = Explorer()
    run_dir = await run(model, tools[:1], tmp_path)
    trials = trials_of(run_dir)
    assert [t["id"] for t in trials] == [
        "convert/e1/t1",
        "convert/e1/t2",
        "convert/e2/t1",
        "convert/e2/t2",
    ]
    first, second = trials[0], trials[1]
    assert first["query"] == "How many miles is 1 km?"  # the "User Query:" label is dropped
    assert first["solved"] is True and first["call_succeeded"] and first["calls"] == 1
    assert first["steps"][0]["observation"].startswith('{"result": 0.62')
    # trial 2 is asked to go further, in the same conversation as trial 1
    second_imagination = next(
        r["messages"] for r in model.requests if model.stage(r["messages"]) == "imagine_next"
    )
    assert second_imagination[: len(first["messages"]) + 1][1:] == first["messages"]
    assert second["messages"][0]["content"].startswith("You now know more")
    # the system prompt describes the explored tool only
    system = second_imagination[0]["content"]
    assert "API_name: convert" in system and "API_name: tag" not in system
    assert "practising" in system


async def test_after_a_trial_without_a_successful_call_a_simpler_request_is_asked(tools, tmp_path):
    refused = 'Thought: convert\nAction: convert\nAction Input: {"value": "many", "unit": "km"}'
    model = Explorer(**{"try": [refused, refused]})
    run_dir = await run(
        model, tools[:1], tmp_path, episodes=1, trials=3, max_turns=1, extra_turns=0, review=False
    )
    first, second, third = trials_of(run_dir)
    assert not first["call_succeeded"] and not second["call_succeeded"]
    assert second["messages"][0]["content"].startswith("No call of the tool succeeded")
    assert "not the values it refused" in second["messages"][0]["content"]
    # the third follows a failure too; a trial after a success is asked to go further
    assert third["messages"][0]["content"].startswith("No call of the tool succeeded")
    assert third["call_succeeded"]
    model = Explorer()
    run_dir = await run(model, tools[:1], tmp_path / "ok", episodes=1, trials=2)
    assert trials_of(run_dir)[1]["messages"][0]["content"].startswith("You now know more")


async def test_a_trial_at_its_turn_limit_after_a_successful_call_is_asked_for_its_answer(
    tools, tmp_path
):
    model = Explorer(observation=["1 km is 0.62 miles."] * 2)  # no "Final Answer:" label
    run_dir = await run(
        model, tools[:1], tmp_path, episodes=1, trials=1, max_turns=2, extra_turns=0
    )
    (trial,) = trials_of(run_dir)
    assert trial["stop_reason"] == "answer_at_limit" and trial["final_answer"] == "done"
    assert trial["steps"][-1]["final_answer"] == "done"
    assert [model.stage(r["messages"]) for r in model.requests][-2:] == [
        "answer_at_limit",
        "reflect",
    ]


async def test_long_term_memory_lists_earlier_queries_with_their_honest_outcomes(tools, tmp_path):
    # trial 1's only call fails (a negative distance), though the model says it worked;
    # trial 2's call succeeds, though the model says it did not
    failing = 'Thought: convert\nAction: convert\nAction Input: {"value": -1, "unit": "km"}'
    model = Explorer(reflection="Yes. It worked.", try_=[failing])
    model.overrides["try"] = model.overrides.pop("try_")
    model.overrides["observation"] = ["Final Answer: 1 km is -0.62 mi"]
    model.overrides["reflect"] = ["Yes. It worked.", "No, the answer was wrong."]
    await run(model, tools[:1], tmp_path, review=False)  # no second try after the refusal
    first_episode, second_episode = imagination_prompts(model)
    assert "already explored" not in first_episode[-1]["content"]
    memory = second_episode[-1]["content"]
    assert "- How many miles is 1 km? (fulfilled: no)" in memory
    assert "- How many miles is 2 km? (fulfilled: yes)" in memory
    assert len(second_episode) == 2  # a new episode is a new conversation


async def test_no_ltm_forgets_earlier_episodes(tools, tmp_path):
    model = Explorer()
    await run(model, tools[:1], tmp_path, ltm=False)
    assert all("already explored" not in p[-1]["content"] for p in imagination_prompts(model))


async def test_no_stm_starts_every_trial_in_a_fresh_conversation(tools, tmp_path):
    model = Explorer()
    run_dir = await run(model, tools[:1], tmp_path, stm=False)
    prompts = imagination_prompts(model)
    assert len(prompts) == 4 and all(len(p) == 2 for p in prompts)
    # the long-term memory still carries the earlier trials, of this episode too
    assert "How many miles is 1 km?" in prompts[1][-1]["content"]
    assert all(t["messages"][0]["content"].startswith("Invent one") for t in trials_of(run_dir))


async def test_no_reflection_asks_nothing_and_judges_nothing(tools, tmp_path):
    model = Explorer()
    run_dir = await run(model, tools[:1], tmp_path, reflection=False)
    assert not [r for r in model.requests if model.stage(r["messages"]) == "reflect"]
    assert all(t["solved"] is None for t in trials_of(run_dir))
    # the memory still tells which requests were fulfilled: the honest outcome needs no model
    assert "(fulfilled: yes)" in imagination_prompts(model)[1][-1]["content"]


async def test_no_exec_records_the_call_without_running_it(tools, tmp_path):
    model = Explorer(value=-5)  # the tool would raise for a negative distance
    run_dir = await run(model, tools[:1], tmp_path, execute=False, episodes=1, trials=1)
    (trial,) = trials_of(run_dir)
    assert trial["steps"][0]["observation"] == "The call was recorded."
    assert trial["steps"][0]["tool_ok"] is None and trial["tool_errors"] == 0


async def test_tool_errors_are_observed_and_counted(tools, tmp_path):
    model = Explorer(value=-5)
    run_dir = await run(model, tools[:1], tmp_path, episodes=1, trials=1, review=False)
    (trial,) = trials_of(run_dir)
    assert trial["tool_errors"] == 1 and not trial["call_succeeded"]
    assert "value must be >= 0" in trial["steps"][0]["observation"]


@pytest.mark.parametrize(
    "replies, solved",
    [
        (["**No** - the tool failed."], False),
        (["Reflection: yes, it did."], True),
        (["I think it went well.", "Yes."], True),  # asked again once
        (["Hard to say.", "Maybe."], None),  # then left unjudged, with the reason
    ],
)
async def test_reflection_is_parsed_robustly(tools, tmp_path, replies, solved):
    model = Explorer(reflect=list(replies))
    run_dir = await run(model, tools[:1], tmp_path, episodes=1, trials=1)
    (trial,) = trials_of(run_dir)
    assert trial["solved"] is solved
    if solved is None:
        assert trial["reflection_reason"] == "the reflection gave no Yes/No verdict"


async def test_an_imagination_that_solves_instead_is_asked_again(tools, tmp_path):
    model = Explorer(imagine_first=['Action: convert\nAction Input: {"value": 1, "unit": "km"}'])
    run_dir = await run(model, tools[:1], tmp_path, episodes=1, trials=1)
    (trial,) = trials_of(run_dir)
    assert trial["query"] == "How many miles is 1 km?"
    assert len(trial["imagination"]) == 2


async def test_tools_are_explored_concurrently(tools, tmp_path):
    model = Explorer()
    run_dir = RunDir(tmp_path / "run")
    settings = ExploreSettings(episodes=1, trials=1)
    run_dir.write_manifest(manifest(model.name, tools[:2], settings))
    await explore(model, tools[:2], settings, run_dir, concurrency=2)
    first_tools = [
        r["messages"][0]["content"].count("API_name: convert") for r in model.requests[:2]
    ]
    assert first_tools in ([1, 0], [0, 1])  # both tools' first requests came before any second
    assert {t["tool"] for t in trials_of(run_dir)} == {"convert", "tag"}


class Crash(Exception):
    pass


class CrashingExplorer(Explorer):
    def __init__(self, crash_after: int):
        super().__init__()
        self.crash_after = crash_after

    async def chat(self, messages, **options):
        if len(self.requests) == self.crash_after:
            raise Crash
        return await super().chat(messages, **options)


async def test_a_resumed_run_continues_the_interrupted_episode_exactly(tools, tmp_path):
    run_dir = RunDir(tmp_path / "run")
    settings = ExploreSettings(episodes=2, trials=2)
    run_dir.write_manifest(manifest("explorer", tools[:1], settings))
    with pytest.raises(Crash):
        await explore(CrashingExplorer(crash_after=6), tools[:1], settings, run_dir)
    assert [t["id"] for t in trials_of(run_dir)] == ["convert/e1/t1"]
    ledger = run_dir.read_ledger()
    assert len(ledger) == 6 and ledger[0]["tool"] == "convert"

    model = Explorer()
    await explore(model, tools[:1], settings, run_dir)
    ids = [t["id"] for t in trials_of(run_dir)]
    assert ids == ["convert/e1/t1", "convert/e1/t2", "convert/e2/t1", "convert/e2/t2"]
    # the interrupted episode continued in its conversation (trial 1 was rebuilt into it)
    first_request = model.requests[0]["messages"]
    assert first_request[-1]["content"].startswith("You now know more")
    assert trials_of(run_dir)[0]["messages"] == first_request[1:-1]
    lines = (run_dir.path / "trials.jsonl").read_text().splitlines()
    assert len([line for line in lines if line.strip()]) == 4


def test_a_changed_tool_or_setting_makes_a_different_run(tools):
    old = manifest("m", tools[:2], ExploreSettings())
    assert manifest_differences(old, manifest("m", tools[:2], ExploreSettings())) == []
    changed = manifest("m", [tools[0], tools[2]], ExploreSettings(episodes=3))
    differences = manifest_differences(old, changed)
    assert "episodes 15 -> 3" in differences
    assert "tool tag removed" in differences and "tool slow added" in differences


@pytest.mark.parametrize(
    "reply, query",
    [
        ("User Query: What is 5 km in miles?", "What is 5 km in miles?"),
        ("- How far is 8 km in miles? (fulfilled: no)", "How far is 8 km in miles?"),
        ('"Convert 3 miles to km, please."', "Convert 3 miles to km, please."),
        ("**Query:** How far is 10 km\nin miles?", "How far is 10 km in miles?"),
        ("Convert 7 km.\nThought: I should call convert\nAction: convert", "Convert 7 km."),
        ("```\nHow many km is a mile?\n```", "How many km is a mile?"),
        ("Thought: let me call it\nAction: convert", ""),
        ("", ""),
        ("Yes", ""),  # the reflection's verdict carried over is no request
        ("Yes.", ""),
        (
            'Invent one realistic request that a user might make: "How far is 12 km in miles?"',
            "How far is 12 km in miles?",
        ),
        ("Invent one realistic request that a user might make and that calling convert", ""),
        (
            "Sure, let's try a realistic user request and see what a call to `convert` would "
            'help us fulfill:\n\nRequest: "Convert 10 miles per hour to km per second. Please '
            'round to 2 decimals."\n\nThis request is natural, specific, and needs one call.',
            "Convert 10 miles per hour to km per second. Please round to 2 decimals.",
        ),
        (
            "Sure, here's another realistic request: \"Convert 5 miles per second to km per "
            'minute." This explores a new unit.',
            "Convert 5 miles per second to km per minute.",
        ),
        (
            "Certainly! How many ounces are in 3 kilograms of flour?",
            "How many ounces are in 3 kilograms of flour?",
        ),
        (
            "What is 3:15 pm in Tokyo time when it is noon in Paris?",
            "What is 3:15 pm in Tokyo time when it is noon in Paris?",
        ),
        ("Convert 12 km to miles.\n\nThis tests the basic conversion.", "Convert 12 km to miles."),
        (
            "**Realistic Request:** Convert 3 cups of flour to grams.",
            "Convert 3 cups of flour to grams.",
        ),
        (
            "Sure, I'd be happy to help you write a realistic request!\n\nHow many miles is "
            "a 42 km run?\n\nThis tests a long distance.",
            "How many miles is a 42 km run?",
        ),
        (
            "I'll think of a request that a user might ask for help, based on your guidelines. "
            'Let\'s go with this: "Please convert 12:00 from New York to London time."',
            "Please convert 12:00 from New York to London time.",
        ),
        (  # a markdown label with its bold marks split around the colon
            "Sure, here's a realistic request for a user:\n\n**User Task:**\nConvert 3 cups "
            "of flour to grams.",
            "Convert 3 cups of flour to grams.",
        ),
        ("User Task:** Convert 3 cups of flour to grams.", "Convert 3 cups of flour to grams."),
        ("User: Convert 100 USD to EUR.", "Convert 100 USD to EUR."),  # the speaker's label
        (  # a markdown heading over the request; a short quotation after it is no bound
            'Sure, let\'s explore.\n\n### Request\n"Find the energy of 200 g of banana."\n\n'
            '### Exploring\n1. **Food**: "banana".\n2. **Grams**: 200, an "other" field.',
            "Find the energy of 200 g of banana.",
        ),
        ("**User:** Convert 100 USD to EUR.", "Convert 100 USD to EUR."),
        ("Users often convert 3 km to miles.", "Users often convert 3 km to miles."),
        (  # a request quoting the text it is about is kept whole
            'How many words are in this question: "What is the meaning of life?"',
            'How many words are in this question: "What is the meaning of life?"',
        ),
        (  # commentary after the request ("In this request:") is no label; the user's task
            # is kept without its question about which tool to use
            'Certainly! Here is a request:\n\n"I want the distance from Paris to Rome. What '
            'tool can I use to find this?"\n\nIn this request:\n- "Paris" is the from city.',
            "I want the distance from Paris to Rome.",
        ),
        ("Convert 5 km to miles. Which API should I call?", "Convert 5 km to miles."),
        ("---\n\nHow many miles is 10 km?\n\n---\n\nIt is simple.", "How many miles is 10 km?"),
        (  # the request said by someone: the words said
            'I would ask: "What is the percentage of fat in 50 grams of apple?".',
            "What is the percentage of fat in 50 grams of apple?",
        ),
        ("A user might ask: How far is Paris from Rome?", "How far is Paris from Rome?"),
        (
            "I would like to know the capital of France.",
            "I would like to know the capital of France.",
        ),
        (  # a sentence about writing the request, then the request put as imagined
            "I'll write a user request for a tool. Imagine I need to convert 1500 meters to km.",
            "I need to convert 1500 meters to km.",
        ),
        (  # solving at once, the first thought states the user's need: that is the request
            "Thought: I need the capital of the country with code 'NZL'. (fulfilled: no)\n"
            'Action: country_info\nAction Input: {"code": "NZL"}',
            "I need the capital of the country with code 'NZL'.",
        ),
        ("Thought: I will check DEU to be sure.\nAction: country_info", ""),
        (
            "Imagine that my flight leaves at 9 AM; what time is it in Tokyo?",
            "My flight leaves at 9 AM; what time is it in Tokyo?",
        ),
        (
            "Imagine a world of 3 moons: how far is Paris?",
            "Imagine a world of 3 moons: how far is Paris?",
        ),
    ],
)
def test_queries_are_read_from_imaginations(reply, query):
    prompt = "Invent one realistic request that a user might make and that calling convert helps"
    assert clean_query(reply, prompt) == query


class Metered(Explorer):
    """Reports a different token count for each request: the ledger must carry each one."""

    async def chat(self, messages, **options) -> ChatResponse:
        response = await super().chat(messages, **options)
        size = sum(len(m["content"]) for m in messages)
        response.usage = Usage(size, len(response.text), 1, size % 97)
        return response


def test_usage_ledger_has_each_requests_own_tokens(tools, tmp_path):
    model = Metered()
    run_dir = asyncio.run(run(model, tools[:1], tmp_path, episodes=1, trials=2))
    ledger = run_dir.read_ledger()
    sizes = [sum(len(m["content"]) for m in r["messages"]) for r in model.requests]
    assert len(ledger) == len(model.requests) >= 6  # imagine, try, observe, reflect (x2)
    assert sorted(e["prompt_tokens"] for e in ledger) == sorted(sizes)
    assert sorted(e["evaluated_prompt_tokens"] for e in ledger) == sorted(s % 97 for s in sizes)
    assert all(e["tool"] == "convert" and e["episode"] == 0 for e in ledger)
    assert json.loads((run_dir.path / "manifest.json").read_text())["tools"][0]["name"] == "convert"


def test_a_forced_continuation_keeps_the_replaced_manifest_in_its_history(tools, tmp_path):
    run_dir = RunDir(tmp_path / "run")
    run_dir.start(manifest("m", tools[:1], ExploreSettings(episodes=2)), force=False)
    run_dir.start(manifest("m", tools[:1], ExploreSettings(episodes=2)), force=False)
    assert "history" not in run_dir.read_manifest()  # nothing changed: no history
    run_dir.start(manifest("m", tools[:1], ExploreSettings(episodes=3)), force=True)
    written = run_dir.read_manifest()
    assert written["settings"]["episodes"] == 3
    assert [old["settings"]["episodes"] for old in written["history"]] == [2]


def test_coverage_counts_parameters_passed_and_distinct_errors():
    from ste.explore.report import coverage
    from ste.records import Trial

    def step(arguments, observation, ok):
        return {
            "raw": "",
            "call": {"name": "t", "arguments": arguments},
            "observation": observation,
            "tool_ok": ok,
        }

    trial = Trial.read(
        {
            "id": "t/e1/t1",
            "tool": "t",
            "episode": 0,
            "trial": 0,
            "seed": 0,
            "steps": [
                step({"unit": "celsius"}, "Error: unknown unit 'celsius'", False),
                step({"unit": "kelvins"}, "Error: unknown unit 'kelvins'", False),
                step({"unit": "K", "precision": None}, '{"result": 1}', True),
            ],
        }
    )
    # without the tool no enum is known: 'K' counts as a value passed
    assert coverage([trial]) == {
        "parameters": ["unit"],
        "distinct_values": 1,
        "distinct_errors": 1,
    }


async def test_a_request_nearly_repeating_an_earlier_one_is_asked_again(tools, tmp_path):
    model = Explorer()
    first = "User Query: How many miles is 10 km, for my run today?"
    # episode 2 first writes episode 1's request again, nearly word for word
    repeat = "User Query: How many miles is 10 km, for my run today please?"
    model.overrides["imagine_first"] = [first, repeat]
    model.overrides["imagine_retry"] = ["User Query: Convert 3 miles to kilometres."]
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    queries = [t["query"] for t in trials_of(run_dir)]
    assert queries == [
        "How many miles is 10 km, for my run today?",
        "Convert 3 miles to kilometres.",
    ]
    retry = next(r for r in model.requests if model.stage(r["messages"]) == "imagine_retry")
    assert retry["messages"][-1]["content"].startswith("That request is nearly the same")
    assert "How many miles is 10 km, for my run today?" in retry["messages"][-1]["content"]
    asked = [r for r in model.requests if model.stage(r["messages"]).startswith("imagine")]
    assert retry["generation"].seed == asked[-2]["generation"].seed + 1  # sampled anew


async def test_a_request_without_a_value_the_tool_needs_is_asked_again(tools, tmp_path):
    model = Explorer()
    model.overrides["imagine_first"] = ["User Query: How many miles is my morning run?"]
    model.overrides["imagine_retry"] = ["User Query: How many miles is my 8 km morning run?"]
    run_dir = await run(model, tools[:1], tmp_path, episodes=1, trials=1)
    assert [t["query"] for t in trials_of(run_dir)] == ["How many miles is my 8 km morning run?"]
    first = imagination_prompts(model)[0][-1]["content"]
    assert "must itself give a value for each input the tool needs" in first
    retry = next(r for r in model.requests if model.stage(r["messages"]) == "imagine_retry")
    told = retry["messages"][-1]["content"]
    assert told.startswith("That request does not give every value the tool needs")
    assert "it gives 0 numbers, but the task needs 1" in told


async def test_a_request_still_repeating_a_fulfilled_one_is_not_tried_again(tools, tmp_path):
    model = Explorer()
    first = "User Query: How many miles is 10 km, for my run today?"
    repeat = "User Query: How many miles is 10 km, for my run today please?"
    model.overrides["imagine_first"] = [first, repeat]
    model.overrides["imagine_retry"] = [repeat]  # asked again, the same request
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    done, again = trials_of(run_dir)
    assert done["query"] == first[12:] and done["call_succeeded"]
    # nor is a request written from a call where the model made none
    assert again["query"] == "" and again["stop_reason"] == "no query"
    assert "request_from_call" not in again


FIRST = "User Query: How many miles is 10 km, for my run today?"
MARATHON = 'Thought: a marathon\nAction: convert\nAction Input: {"value": 42, "unit": "km"}'
WRITTEN = "How many miles is the 42 km race I ran on Sunday?"


def without_a_request(model: Explorer) -> str:
    """Script the second trial to imagine no request it could try (only a repeat of the
    first, fulfilled); returns the repeat."""
    repeat = "User Query: How many miles is 10 km, for my run today please?"
    model.overrides["imagine_first"] = [FIRST, repeat]
    model.overrides["imagine_retry"] = [repeat]
    return repeat


async def test_a_trial_without_a_request_has_one_written_from_a_call(tools, tmp_path):
    model = Explorer(value=42)
    repeat = without_a_request(model)
    model.overrides["call_first"] = [MARATHON]
    model.overrides["request_from_call"] = [WRITTEN]
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    done, again = trials_of(run_dir)
    assert again["query"] == WRITTEN and again["stop_reason"] == "final_answer"
    assert again["request_from_call"] == {
        "name": "convert",
        "arguments": {"value": 42, "unit": "km"},
    }
    assert again["calls"] == 1 and again["call_succeeded"]  # the call made here is not counted
    asked = next(r for r in model.requests if model.stage(r["messages"]) == "call_first")
    assert len(asked["messages"]) == 2  # a fresh conversation: the tool, the ask
    assert f'- "{done["query"]}"' in asked["messages"][-1]["content"]  # values not to reuse
    wrote = next(r for r in model.requests if model.stage(r["messages"]) == "request_from_call")
    prompt = wrote["messages"][0]["content"]
    assert '- with {"value": 42, "unit": "km"}: {"result": 26.1, "unit": "mi"}' in prompt
    assert done["query"] not in prompt and repeat[12:] not in prompt
    tried = [r for r in model.requests if model.stage(r["messages"]) == "try"][-1]
    if_imagined = [m for m in tried["messages"] if m["role"] == "assistant"][-1]
    assert if_imagined["content"] == WRITTEN  # the conversation goes on as if imagined
    assert [m["role"] for m in tried["messages"][-3:]] == ["user", "assistant", "user"]
    overall = summarise(run_dir.read_trials(), run_dir.read_ledger())["overall"]
    assert overall["from_call"] == 1 and overall["no_query"] == 0


async def test_without_it_no_request_is_written_from_a_call(tools, tmp_path):
    model = Explorer()
    without_a_request(model)
    run_dir = await run(model, tools[:1], tmp_path, trials=1, request_from_call=False)
    assert trials_of(run_dir)[1]["stop_reason"] == "no query"
    overall = summarise(run_dir.read_trials(), run_dir.read_ledger())["overall"]
    assert overall["from_call"] == 0 and overall["no_query"] == 1
    assert not any(model.stage(r["messages"]) == "call_first" for r in model.requests)


async def test_a_request_of_the_same_form_with_other_values_is_a_new_one(tools, tmp_path):
    # lexically near, but another distance: a new task, tried without being asked again
    model = Explorer()
    first = "User Query: How many miles is 10 km, for my run today?"
    other = "User Query: How many miles is 12 km, for my run today?"
    model.overrides["imagine_first"] = [first, other]
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    assert [t["query"] for t in trials_of(run_dir)] == [first[12:], other[12:]]
    assert not [r for r in model.requests if model.stage(r["messages"]) == "imagine_retry"]


async def test_without_long_term_memory_no_request_is_compared_with_earlier_ones(tools, tmp_path):
    model = Explorer()
    same = "User Query: How many miles is 10 km, for my run today?"
    model.overrides["imagine_first"] = [same, same]
    run_dir = await run(model, tools[:1], tmp_path, trials=1, ltm=False)
    assert [t["query"] for t in trials_of(run_dir)] == [same[12:], same[12:]]


async def test_the_explorer_is_told_the_date_its_run_began(tools, tmp_path):
    run_dir = RunDir(tmp_path / "run")
    settings = ExploreSettings(episodes=1, trials=1)
    run_dir.start(manifest("explorer", tools[:1], settings), force=False)
    began = run_dir.read_manifest()["today"]
    assert began == datetime.date.today().isoformat()
    # continued on another day, the run keeps the date it began with
    written = {**run_dir.read_manifest(), "today": "2031-02-03"}
    run_dir.write_manifest(written)
    run_dir.start(manifest("explorer", tools[:1], settings), force=False)
    assert run_dir.read_manifest()["today"] == "2031-02-03"
    model = Explorer()
    await explore(model, tools[:1], settings, run_dir)
    system = model.requests[0]["messages"][0]["content"]
    assert "date is 2031-02-03" in system
    # a run from before runs were dated gets no date, so its prompts are unchanged
    undated = RunDir(tmp_path / "old")
    undated.write_manifest(manifest("explorer", tools[:1], settings))
    old_model = Explorer()
    await explore(old_model, tools[:1], settings, undated)
    assert "date is" not in old_model.requests[0]["messages"][0]["content"]


async def test_a_request_from_a_call_repeating_an_earlier_one_is_tried_once_more(tools, tmp_path):
    model = Explorer(value=42)
    without_a_request(model)
    again = 'Thought: a run\nAction: convert\nAction Input: {"value": 10, "unit": "km"}'
    model.overrides["call_first"] = [again, MARATHON]
    model.overrides["request_from_call"] = [FIRST[12:], WRITTEN]  # the first repeats
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    last = trials_of(run_dir)[1]
    assert last["query"] == WRITTEN
    assert last["request_from_call"]["arguments"] == {"value": 42, "unit": "km"}
    asked = [r for r in model.requests if model.stage(r["messages"]) == "call_first"]
    assert len({r["generation"].seed for r in asked}) == 2  # at another seed


@pytest.mark.parametrize(
    "changes", [{"effect": "side_effecting", "effect_from": "@side_effecting"}, {"stateful": "x"}]
)
async def test_no_call_is_made_outside_a_trial_where_it_could_change_anything(tools, changes):
    from dataclasses import replace

    from ste.agent.loop import get_protocol
    from ste.explore.backward import request_from_call

    model = Explorer()
    tool = replace(tools[0], **changes)
    names = {"id": "convert/e1/t1", "tool": "convert", "episode": 0, "trial": 0, "seed": 1}
    found = await request_from_call(
        model, get_protocol("react"), tool, ExploreSettings(), names, Usage()
    )
    assert found == ("", None, []) and model.requests == []


async def test_a_request_from_a_call_without_its_values_is_tried_once_more(tools, tmp_path):
    model = Explorer(value=42)
    without_a_request(model)
    model.overrides["call_first"] = [MARATHON, MARATHON]
    model.overrides["request_from_call"] = ["How many miles was my race?", WRITTEN]
    run_dir = await run(model, tools[:1], tmp_path, trials=1)
    assert trials_of(run_dir)[1]["query"] == WRITTEN


def test_a_request_giving_a_value_the_prompt_gives_as_an_example_is_no_echo():
    prompt = 'The network, e.g. "192.168.1.10/24" describes its network 192.168.1.0/24.'
    query = 'What is the broadcast address of the network "192.168.1.0/24"?'
    assert clean_query(query, prompt) == query
    echo = "describes its network 192.168.1.0/24 and e.g. the network"
    assert clean_query(echo, prompt + " and e.g. the network") == ""
