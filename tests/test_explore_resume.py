"""`ste explore` killed mid-run and resumed: every trial ends up in trials.jsonl exactly once.

The model is a `ScriptedEndpoint` (a real OpenAI-compatible HTTP server on 127.0.0.1), the
CLI runs in subprocesses, and the first one is killed with SIGKILL, as a crash would.
"""

from __future__ import annotations

import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ste.testing.scripted_endpoint import ScriptedEndpoint

STE = [sys.executable, "-c", "from ste.cli import app; app()"]
TOOLS = ("alpha", "beta", "gamma")
TOOLBOX = '''"""Three trivial tools."""
{}'''
TOOL = '''

def {name}(x: int = 0) -> dict:
    """Return the name of this tool together with x.

    Args:
        x: Any whole number.
    """
    return {{"tool": "{name}", "x": x}}
'''


@pytest.fixture(scope="module")
def endpoint() -> Iterator[ScriptedEndpoint]:
    with ScriptedEndpoint(latency_s=0.05) as scripted:
        yield scripted


@pytest.fixture
def toolbox(tmp_path: Path) -> Path:
    path = tmp_path / "three_tools.py"
    path.write_text(TOOLBOX.format("".join(TOOL.format(name=name) for name in TOOLS)))
    return path


def _env() -> dict[str, str]:
    env = {**os.environ, "OPENAI_API_KEY": "sk-local", "COLUMNS": "200", "NO_COLOR": "1"}
    env.pop("OPENAI_BASE_URL", None)
    return env


def _ste(*arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*STE, *arguments], env=_env(), capture_output=True, text=True, timeout=60
    )


def _records(trials: Path) -> list[dict[str, Any]]:
    """The trial records in trials.jsonl; a line cut by the kill is not one."""
    records = []
    for line in trials.read_text(encoding="utf-8").splitlines():
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return records


def test_a_killed_run_resumes_with_every_trial_once(
    endpoint: ScriptedEndpoint, toolbox: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    trials = run_dir / "trials.jsonl"
    log = (tmp_path / "first.log").open("w")
    first = subprocess.Popen(
        [
            *STE,
            "explore",
            str(toolbox),
            "--model",
            "openai:scripted",
            "--base-url",
            endpoint.base_url,
            "--out",
            str(run_dir),
            "--episodes",
            "3",
            "--trials",
            "2",
            "--concurrency",
            "3",
            "--no-rebalance",  # every episode runs: the resume is what is tested
        ],
        env=_env(),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 30
    try:
        while not (trials.exists() and len(trials.read_text().splitlines()) >= 4):
            if first.poll() is not None or time.monotonic() > deadline:
                pytest.fail(
                    f"explore never wrote 4 trials:\n{(tmp_path / 'first.log').read_text()}"
                )
            time.sleep(0.01)
        os.kill(first.pid, signal.SIGKILL)
    finally:
        first.kill()
        first.wait()
        log.close()
    assert first.returncode == -signal.SIGKILL
    assert 4 <= len(_records(trials)) < 18, "the run must be cut short for a resume to matter"

    resumed = _ste("explore", "--resume", str(run_dir))  # the endpoint is remembered
    assert resumed.returncode == 0, resumed.stderr

    records = _records(trials)
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids)), Counter(ids).most_common(3)
    assert len(set(ids)) == 3 * 3 * 2
    combinations = Counter((r["tool"], r["episode"], r["trial"]) for r in records)
    assert combinations == Counter(itertools.product(TOOLS, range(3), range(2)))
    assert all(r["solved"] is True and r["call_succeeded"] for r in records)

    shown = _ste("show", str(run_dir))
    assert shown.returncode == 0, shown.stderr
    for name in TOOLS:
        assert name in shown.stdout


def test_resuming_with_other_settings_is_refused(
    endpoint: ScriptedEndpoint, toolbox: Path, tmp_path: Path
) -> None:
    run_dir = tmp_path / "run"
    explored = _ste(
        "explore",
        str(toolbox),
        "--model",
        "openai:scripted",
        "--base-url",
        endpoint.base_url,
        "--out",
        str(run_dir),
        "--episodes",
        "1",
        "--trials",
        "1",
    )
    assert explored.returncode == 0, explored.stderr
    trials_before = (run_dir / "trials.jsonl").read_bytes()
    manifest_before = (run_dir / "manifest.json").read_bytes()

    refused = _ste(
        "explore", "--resume", str(run_dir), "--episodes", "4", "--base-url", endpoint.base_url
    )
    assert refused.returncode == 2
    assert "other tools or settings" in " ".join(refused.stderr.split())
    assert (run_dir / "trials.jsonl").read_bytes() == trials_before
    assert (run_dir / "manifest.json").read_bytes() == manifest_before
