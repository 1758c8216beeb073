"""Fault injection: tools that exit, crash, spin, exhaust memory or return what JSON cannot
hold, and an endpoint that misbehaves. Each run completes, or stops with one clear line."""

from __future__ import annotations

import json
import os

import pytest
from typer.testing import CliRunner

from ste.cli import app
from ste.models import load_model
from ste.models.retry import RequestFailed, RequestPolicy
from ste.testing.scripted_endpoint import ScriptedEndpoint
from ste.tools import execute, load_tools

runner = CliRunner()


@pytest.fixture
def failing(toolboxes):
    return {t.name: t for t in load_tools(str(toolboxes / "failing.py"))}


def _alive(pids: list[int]) -> list[int]:
    alive = []
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                if stat.read().split()[2] != "Z":
                    alive.append(pid)
        except FileNotFoundError:
            pass
    return alive


@pytest.mark.parametrize(
    ("name", "arguments", "kind", "says"),
    [
        ("die", {"code": 3}, "tool_error", "exit code 3"),
        ("segv", {}, "tool_error", "SIGSEGV"),
        ("spin", {"x": 1}, "timeout", "did not answer within 1 seconds"),
        ("deep", {}, "unserialisable", "nested too deeply"),
        ("nan", {}, "unserialisable", "not JSON compliant"),
        ("big", {}, "unserialisable", "4300 digits"),
    ],
)
async def test_a_failing_tool_is_an_observation_and_the_next_call_works(
    failing, name, arguments, kind, says
):
    result = await execute(failing[name], arguments, timeout=1)
    assert not result.ok and result.error_kind == kind
    assert says in result.observation
    after = await execute(failing["ok"], {"x": 2})
    assert after.ok and after.value == {"x": 2}


async def test_a_timed_out_tool_is_killed_not_left_spinning(failing):
    pool = failing["spin"].function.pool
    before = set(pool.pids())
    result = await execute(failing["spin"], {"x": 1}, timeout=0.5)
    assert result.error_kind == "timeout"
    spun = set(pool.pids()) - before
    assert not _alive(list(spun))
    assert all(_alive([pid]) for pid in pool.pids())  # the rest are idle, healthy workers


async def test_a_memory_bomb_meets_the_cap(toolboxes, monkeypatch):
    monkeypatch.setenv("STE_TOOL_MEMORY_MB", "600")
    tools = {t.name: t for t in load_tools(str(toolboxes / "failing.py"))}
    result = await execute(tools["bomb"], {}, timeout=60)
    assert result.error_kind == "tool_error" and "memory" in result.observation.lower()


@pytest.mark.parametrize(
    "fault", ["429", "500", "reset", "garbage", "empty_choices", "truncated", "hang"]
)
async def test_every_failed_attempt_is_retried_then_the_request_fails(fault):
    policy = RequestPolicy(timeout=0.5, retries=2, backoff=0.01, give_up_after=99)
    with ScriptedEndpoint(fault=fault, hang_s=2) as endpoint:
        model = load_model("openai:scripted", base_url=endpoint.base_url, policy=policy)
        with pytest.raises(RequestFailed) as failed:
            await model.chat([{"role": "user", "content": "hi"}])
        assert endpoint.arrivals == 3
    assert len(failed.value.attempts) == 3
    assert "failed after 3 attempts" in failed.value.reason


async def test_a_flaky_endpoint_answers_after_a_retry_and_says_so():
    policy = RequestPolicy(retries=2, backoff=0.01)
    with ScriptedEndpoint(fault="flaky") as endpoint:
        model = load_model("openai:scripted", base_url=endpoint.base_url, policy=policy)
        response = await model.chat([{"role": "user", "content": "hi"}])
    assert [a.outcome for a in response.attempts] == ["HTTP 500", "ok"]


def test_explore_records_every_attempt_and_fails_only_the_trials_it_must(toolboxes, tmp_path):
    out = tmp_path / "run"
    with ScriptedEndpoint(fault="500", fault_requests=4) as endpoint:
        result = runner.invoke(
            app,
            [
                "explore",
                str(toolboxes / "sample.py"),
                "--out",
                str(out),
                "--model",
                "openai:scripted",
                "--base-url",
                endpoint.base_url,
                "--episodes",
                "1",
                "--trials",
                "2",
                "--retries",
                "0",
            ],
        )
        arrivals = endpoint.arrivals
    assert result.exit_code == 0, result.output
    ledger = [json.loads(line) for line in (out / "usage.jsonl").read_text().splitlines()]
    assert len(ledger) == arrivals  # every attempt, failed or not, is a ledger line
    assert sum(e["outcome"] != "ok" for e in ledger) == 4
    trials = [json.loads(line) for line in (out / "trials.jsonl").read_text().splitlines()]
    assert len(trials) == 12  # 6 tools x 2 trials: none lost
    failed = [t for t in trials if t["stop_reason"] == "error"]
    assert len(failed) == 4 and all("HTTP 500" in t["error"] for t in failed)


def test_an_endpoint_that_stays_down_stops_the_run_with_one_line(toolboxes, tmp_path):
    with ScriptedEndpoint(fault="429") as endpoint:
        result = runner.invoke(
            app,
            [
                "explore",
                str(toolboxes / "sample.py"),
                "--out",
                str(tmp_path / "run"),
                "--model",
                "openai:scripted",
                "--base-url",
                endpoint.base_url,
                "--episodes",
                "2",
                "--trials",
                "2",
                "--retries",
                "0",
                "--give-up-after",
                "2",
            ],
        )
    assert result.exit_code == 2
    assert "2 requests in a row have failed" in result.output
    assert "Traceback" not in result.output


def test_no_worker_outlives_a_run(toolboxes, tmp_path):
    import subprocess
    import sys

    script = (
        "import asyncio\nfrom ste.tools import load_tools, execute\n"
        f"t = {{x.name: x for x in load_tools({str(toolboxes / 'failing.py')!r})}}\n"
        "async def main():\n"
        "    await execute(t['spin'], {'x': 1}, timeout=0.3); await execute(t['ok'], {'x': 1})\n"
        "    print(*t['ok'].function.pool.pids())\n"
        "asyncio.run(main())\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    pids = [int(p) for p in done.stdout.split()]
    assert pids and os.getpid() not in pids
    import time

    time.sleep(1.5)
    assert not _alive(pids)
