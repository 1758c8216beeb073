"""Stateful Python toolboxes: a @stateful class whose methods are tools, a fresh instance per
episode and per test item, start states, errors returned as values, state in equivalence."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import TOOLBOXES, run_ste
from scripted import ScriptedModel
from ste.distill.reproduction import earlier_calls, reproduced
from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
from ste.eval.testset import load_tests
from ste.records import Trial
from ste.testing.scripted_endpoint import ScriptedEndpoint
from ste.tools import execute, load_tools
from ste.tools.stateful import fresh_instance, snapshot_of

FILES = TOOLBOXES / "stateful_files.py"


def tools() -> dict:
    return {t.name: t for t in load_tools(str(FILES))}


def test_public_methods_are_the_tools():
    loaded = tools()
    assert list(loaded) == ["list_files", "write_file", "read_file"]  # no load(), no _private
    assert loaded["write_file"].parameters["required"] == ["path", "text"]
    assert "self" not in loaded["read_file"].parameters["properties"]
    assert loaded["read_file"].effect == "read_only" and loaded["write_file"].runs_by_default
    assert all(t.stateful for t in loaded.values())


async def test_each_block_has_its_own_instance_and_start_state():
    loaded = tools()
    state = {"files": {"a.txt": "alpha"}}
    async with fresh_instance(list(loaded.values()), state):
        assert (await execute(loaded["list_files"], {})).value == ["a.txt"]
        written = await execute(loaded["write_file"], {"path": "b.txt", "text": "beta"})
        assert written.value == {"written": "b.txt", "total_files": 2}
        assert (await execute(loaded["read_file"], {"path": "b.txt"})).value == "beta"
        assert await snapshot_of(loaded["read_file"]) == {
            "files": {"a.txt": "alpha", "b.txt": "beta"}
        }
    async with fresh_instance(list(loaded.values())):  # nothing leaks from the block before
        assert (await execute(loaded["list_files"], {})).value == []


async def test_an_error_returned_as_a_value_is_an_error():
    loaded = tools()
    async with fresh_instance(list(loaded.values())):
        missing = await execute(loaded["read_file"], {"path": "nope.txt"})
        assert not missing.ok and missing.error_kind == "tool_error"
        assert missing.observation == "Error: no file 'nope.txt'; the files are: "
        folder = await execute(loaded["write_file"], {"path": "dir/", "text": "x"})
        assert not folder.ok and "not a file path" in folder.observation


def _explore(out: Path, *extra: str, only: str = "write_file"):
    counter = iter(range(1000))

    def arguments(name: str) -> dict:
        if name == "read_file":
            return {"path": "a.txt"}
        return {"path": f"file{next(counter)}.txt", "text": "x"}

    with ScriptedEndpoint(tool_arguments=arguments) as endpoint:
        result = run_ste(
            "explore", str(FILES), "--model", "openai:scripted", "--base-url",
            endpoint.base_url, "--out", str(out), "--only", only, "--episodes", "2",
            "--trials", "2", *extra,
        )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return [
        Trial.model_validate_json(line) for line in (out / "trials.jsonl").read_text().splitlines()
    ]


def _observations(trial: Trial) -> list[str]:
    return [s.observation or "" for s in trial.call_steps]


async def test_state_lasts_an_episode_and_starts_fresh_in_the_next(tmp_path):
    trials = sorted(_explore(tmp_path / "run"), key=lambda t: (t.episode, t.trial))
    counts = [json.loads(_observations(t)[0])["total_files"] for t in trials]
    assert counts == [1, 2, 1, 2]  # the second trial sees the first's file; episodes do not
    # distillation's re-run of a kept call replays the episode up to it on a fresh instance
    loaded = tools()
    second = trials[1]
    again = await reproduced(second, loaded["write_file"], before=earlier_calls(trials, second))
    assert again.ok, again.reason
    alone = await reproduced(second, loaded["write_file"])  # without the replay: another result
    assert not alone.ok


def test_exploration_practises_from_the_start_states_in_turn(tmp_path):
    states = tmp_path / "states.json"
    states.write_text(json.dumps([{"files": {"a.txt": "A"}}, {"files": {"b.txt": "B"}}]))
    trials = _explore(tmp_path / "run", "--start-states", str(states), only="read_file")
    by_episode = {t.episode: t for t in trials if t.trial == 0}
    assert _observations(by_episode[0]) == ["A"]  # a.txt exists in the first scenario
    assert "no file 'a.txt'; the files are: b.txt" in _observations(by_episode[1])[0]
    assert by_episode[1].start_state == {"files": {"b.txt": "B"}}


def test_bad_start_states_are_one_line(tmp_path):
    bad = tmp_path / "states.json"
    bad.write_text('{"files": {}}')
    result = run_ste(
        "explore", str(FILES), "--out", str(tmp_path / "r"), "--start-states", str(bad)
    )
    assert result.returncode == 2 and "give a JSON list of states" in result.stderr


async def test_eval_items_start_from_their_state_and_equivalence_compares_it(tmp_path):
    items = [
        {"id": "read", "query": "What does a.txt say?", "state": {"files": {"a.txt": "hi"}},
         "expected": [{"name": "read_file", "arguments": {"path": "a.txt"}}]},
        {"id": "write", "query": "Save 'hello' to a.txt", "state": {"files": {}},
         "expected": [{"name": "write_file", "arguments": {"path": "a.txt", "text": "hello"}}]},
    ]  # fmt: skip
    tests = tmp_path / "tests.jsonl"
    tests.write_text("".join(json.dumps(item) + "\n" for item in items))
    loaded = list(tools().values())
    replies = [
        'Action: read_file\nAction Input: {"path": "a.txt"}',
        # same returned value ({"written": "a.txt", "total_files": 1}), other state after
        'Action: write_file\nAction Input: {"path": "a.txt", "text": "hi"}',
    ]
    settings = EvalSettings()
    out = tmp_path / "results"
    model = ScriptedModel(replies)
    prepare_out_dir(out, settings.manifest(model, tests, loaded), force=False)
    records = {r.id: r for r in await run_eval(model, loaded, load_tests(tests), out, settings)}
    assert records["read"].exec_equivalent  # a.txt existed: the item's own state
    assert not records["write"].exec_equivalent
    assert "state differs" in records["write"].exec_reason
