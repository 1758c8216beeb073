"""Coverage-guided exploration with a scripted explorer: the memory names what is not
covered, a new tool error earns a turn, a tool that teaches nothing new stops and its
episodes repair a tool that has too few solved trials (also when the run is resumed)."""

import json
from types import SimpleNamespace

import pytest

from ste.explore import ExploreSettings, RunDir, explore
from ste.explore.coverage import Coverage
from ste.explore.runner import ToolExploration, neediest
from ste.models.base import ChatResponse, Usage
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer, imagination_prompts, run, trials_of


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


def _trial(*steps: tuple[dict, str, bool]) -> Trial:
    return Trial.read(
        {
            "id": "convert/e1/t1",
            "tool": "convert",
            "episode": 0,
            "trial": 0,
            "seed": 0,
            "steps": [
                {
                    "raw": "",
                    "call": {"name": "convert", "arguments": a},
                    "observation": o,
                    "tool_ok": ok,
                }
                for a, o, ok in steps
            ],
        }
    )


def test_coverage_names_parameters_and_enum_values_no_successful_call_used(tools):
    convert = tools[0]
    coverage = Coverage(convert)
    assert coverage.add(_trial(({"value": 1, "unit": "km"}, '{"result": 0.62}', True)))
    assert coverage.uncovered() == ["the values 'mi' of `unit`", "the parameter `precision`"]
    # the same parameters and values again: nothing new
    assert not coverage.add(_trial(({"value": 7, "unit": "KM"}, '{"result": 4.3}', True)))
    assert coverage.add(_trial(({"value": -1, "unit": "km"}, "Error: value must be >= 0", False)))
    assert not coverage.add(
        _trial(({"value": -2, "unit": "km"}, "Error: value must be >= 0", False))
    )
    assert coverage.add(_trial(({"value": 1, "unit": "mi", "precision": 1}, "{}", True)))
    assert coverage.uncovered() == []
    assert coverage.as_dict() == {
        "parameters": ["precision", "unit", "value"],
        "distinct_values": 0,  # 'km' and 'mi' are the enum's
        "distinct_errors": 1,
    }


async def test_later_episodes_are_told_what_is_not_covered_yet(tools, tmp_path):
    model = Explorer()
    await run(model, tools[:1], tmp_path, rebalance=False)
    first_episode, second_episode = imagination_prompts(model)
    assert "no successful call has used" not in first_episode[-1]["content"]
    memory = second_episode[-1]["content"]
    assert "Parts of the tool no successful call has used yet:" in memory
    assert "- the values 'mi' of `unit`" in memory and "- the parameter `precision`" in memory
    assert "refused" not in memory  # no call failed


async def test_later_episodes_are_told_what_the_tool_refused(tools, tmp_path):
    failing = 'Thought: convert\nAction: convert\nAction Input: {"value": -1, "unit": "km"}'
    model = Explorer(try_=[failing])
    model.overrides["try"] = model.overrides.pop("try_")
    await run(model, tools[:1], tmp_path, rebalance=False, max_turns=1, extra_turns=0)
    first_episode, second_episode = imagination_prompts(model)
    assert "refused" not in first_episode[-1]["content"]
    memory = second_episode[-1]["content"]
    assert "Earlier calls of this tool were refused with these messages" in memory
    assert "- Error: value must be >= 0" in memory


async def test_a_tool_whose_requests_all_failed_is_asked_for_one_that_avoids_its_errors(
    tools, tmp_path
):
    model = Explorer(value=-1, reflection="No. It failed.")  # every call refused (value -1)
    await run(model, tools[:1], tmp_path, rebalance=False, max_turns=1, extra_turns=0)
    _, second_episode = imagination_prompts(model)
    memory = second_episode[-1]["content"]
    assert "Invent a request this tool can fulfil, then make the call so that it avoids" in memory
    assert "- Error: value must be >= 0" in memory
    # not asked to add parts no call has used to requests that already fail
    assert "no successful call has used" not in memory


async def test_a_new_tool_error_earns_one_more_turn(tools, tmp_path):
    again = 'Action: convert\nAction Input: {"value": -5, "unit": "km"}'
    model = Explorer(value=-5, observation=[again] * 3)  # each call refused, the same error
    # (no review: a trial out of turns after a refusal would be reviewed with more)
    run_dir = await run(model, tools[:1], tmp_path, episodes=1, trials=2, max_turns=1, review=False)
    first, second = trials_of(run_dir)
    assert first["calls"] == 2  # the error was new: one more turn, the same error: no more
    assert second["calls"] == 1  # the tool had given that error already
    fixed = await run(
        Explorer(value=-5),
        tools[:1],
        tmp_path / "b",
        episodes=1,
        trials=1,
        max_turns=1,
        extra_turns=0,
        review=False,
    )
    assert [t["calls"] for t in trials_of(fixed)] == [1]


class HalfExplorer(Explorer):
    """Solves `convert`; on `tag` it calls the tool with a value the tool refuses."""

    async def chat(self, messages, **options):
        response = await super().chat(messages, **options)
        if "API_name: tag" in messages[0]["content"] and self.stage(messages) == "try":
            return ChatResponse(text='Action: tag\nAction Input: {"items": "5"}', usage=Usage())
        return response


async def test_a_tool_that_teaches_nothing_new_gives_its_episodes_to_one_with_too_few(
    tools, tmp_path
):
    by_name = {t.name: t for t in tools}
    chosen = [by_name["convert"], by_name["tag"]]
    model = HalfExplorer()
    run_dir = await run(model, chosen, tmp_path, episodes=3, trials=2, extra_turns=0)
    episodes = {(t["tool"], t["episode"]) for t in trials_of(run_dir)}
    # convert: 2 solved after episode 1, 4 after episode 2 which covered nothing new: stop
    assert sorted(e for tool, e in episodes if tool == "convert") == [0, 1]
    # tag solved nothing: its 3 episodes and the one convert did not use
    assert sorted(e for tool, e in episodes if tool == "tag") == [0, 1, 2, 3]
    assert len(trials_of(run_dir)) == 2 * 3 * 2  # the budget, moved, not grown
    repair = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "imagine_first"
        and "API_name: tag" in r["messages"][0]["content"]
    ][-1]
    assert "Earlier calls of this tool failed with these errors:" in repair

    # resumed from a run cut after tag's third episode: the same decisions, nothing twice
    kept = [t for t in trials_of(run_dir) if not (t["tool"] == "tag" and t["episode"] >= 2)]
    cut = RunDir(tmp_path / "cut")
    cut.path.mkdir()
    (cut.path / "manifest.json").write_bytes((run_dir.path / "manifest.json").read_bytes())
    (cut.path / "trials.jsonl").write_text("".join(json.dumps(t) + "\n" for t in kept))
    settings = ExploreSettings(episodes=3, trials=2, extra_turns=0)
    await explore(HalfExplorer(), chosen, settings, cut)
    resumed = sorted((t["tool"], t["episode"], t["trial"]) for t in trials_of(cut))
    assert resumed == sorted((t["tool"], t["episode"], t["trial"]) for t in trials_of(run_dir))


def test_spare_episodes_go_to_the_tools_with_fewest_usable_trials_first(tools):
    settings = ExploreSettings(enough_solved=3)

    def work(tool, usable, repairs=0):
        return ToolExploration(tool, {}, SimpleNamespace(usable=usable), repairs=repairs)

    one, none, enough, repaired = (
        work(tools[0], 1),
        work(tools[1], 0),
        work(tools[0], 3),
        work(tools[1], 0, repairs=settings.episodes),
    )
    works = [one, enough, none, repaired]
    assert neediest(works, settings, 1) == [none]
    assert neediest(works, settings, 5) == [none, one]


def _country_trial(*codes: tuple[str, bool]) -> Trial:
    results = {True: '{"name": "x"}', False: "Error: unknown"}
    trial = _trial(*(({"code": c}, results[ok], ok) for c, ok in codes))
    for step in trial.steps:
        step.call.name = "country_info"
    trial.tool = "country_info"
    return trial


@pytest.fixture
def country_info(toolboxes):
    return load_tools(str(toolboxes / "countries.py"))[0]


def test_coverage_counts_the_trials_whose_successful_calls_passed_a_free_value(country_info):
    coverage = Coverage(country_info)
    coverage.add(_country_trial(("FRA", True), ("FRA", True)))  # one trial, counted once
    assert coverage.used_again() == []
    coverage.add(_country_trial(("FRA", True)))
    coverage.add(_country_trial(("JPN", False)))  # refused: not a value used
    coverage.add(_country_trial(("JPN", True)))
    assert coverage.used_again() == ["`code`: 'FRA' (2 trials)"]
    coverage.add(_country_trial(("x" * 60, True), ("JPN", True)))
    coverage.add(_country_trial(("x" * 60, True)))
    assert coverage.used_again() == [
        f"`code`: 'FRA' (2 trials), 'JPN' (2 trials), '{'x' * 37}...' (2 trials)"
    ]


def test_coverage_leaves_enum_values_and_numbers_to_the_uncovered_list(tools):
    coverage = Coverage(tools[0])
    for _ in range(3):
        coverage.add(_trial(({"value": 1, "unit": "km"}, '{"result": 0.62}', True)))
    assert coverage.used_again() == []


def test_the_memory_asks_for_values_other_than_those_used_again(country_info):
    from ste.explore.memory import ToolMemory

    trials = [_country_trial(("FRA", True)), _country_trial(("FRA", True))]
    for trial in trials:
        trial.query = "What is the capital of the country with the code FRA?"
        trial.final_answer, trial.stop_reason = "It is x.", "final_answer"
    memory = ToolMemory.of(country_info, trials)
    block = memory.prompt()
    assert "- `code`: 'FRA' (2 trials)" in block
    assert "other ones than these" in block
    assert memory.values_prompt() in block
    # a repair episode asks for a call that works, nothing more
    assert "other ones than these" not in memory.prompt(repair=True)
    assert ToolMemory.of(country_info, trials[:1]).values_prompt() == ""


async def test_a_later_trial_of_an_episode_is_asked_for_values_not_used_again(toolboxes, tmp_path):
    tools = load_tools(str(toolboxes / "countries.py"))
    call = 'Thought: look it up\nAction: country_info\nAction Input: {"code": "FRA"}'
    model = Explorer()
    model.overrides = {"try": [call] * 3, "review": [call] * 6}
    await run(model, tools, tmp_path, episodes=1, trials=3)
    nexts = [
        r["messages"][-1]["content"]
        for r in model.requests
        if model.stage(r["messages"]) == "imagine_next"
    ]
    assert len(nexts) == 2
    assert "other ones than these" not in nexts[0]  # one trial used FRA so far
    assert "- `code`: 'FRA' (2 trials)" in nexts[1]


def test_a_usable_trial_asking_what_an_earlier_one_asked_is_not_counted_again():
    from ste.explore.memory import ToolMemory

    def solved(query: str, km: int = 5) -> Trial:
        miles = round(km * 0.621371, 2)
        ok = ({"value": km, "unit": "km"}, f'{{"result": {miles}, "unit": "mi"}}', True)
        return _trial(ok).model_copy(
            update={"query": query, "final_answer": f"{miles} mi", "solved": True}
        )

    memory = ToolMemory.of(None, [])  # no tool: honestly solved counts as usable
    memory.add(solved("How many miles is 5 km for my run today?"))
    memory.add(solved("How many miles is 5 km for my run today, please?"))  # the same again
    memory.add(solved("How many miles is 8 km for my run today?", km=8))  # another call
    memory.add(solved("Convert 5 km to miles for the race I signed up for."))
    assert memory.usable == 3
