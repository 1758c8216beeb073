"""Run files that are not what ste wrote, and two processes on one run directory.

A second `ste explore` on a folder another process is working in is refused with one line
naming that process; a corrupt or foreign line in trials.jsonl, usage.jsonl or a tests file
is an error naming the file and line (exit 2, no traceback); a line torn by a kill is
repaired; nothing ste writes holds a bare NaN.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from ste import workdir
from ste.errors import SteError
from ste.eval.testset import load_tests
from ste.jsonl import JsonlAppender, numbered_records, write_json
from ste.testing.scripted_endpoint import ScriptedEndpoint
from test_explore_resume import STE, TOOL, TOOLBOX, TOOLS, _env, _ste


@pytest.fixture
def toolbox(tmp_path: Path) -> Path:
    path = tmp_path / "three_tools.py"
    path.write_text(TOOLBOX.format("".join(TOOL.format(name=name) for name in TOOLS)))
    return path


def _explore(endpoint: ScriptedEndpoint, toolbox: Path, run_dir: Path, *extra: str) -> list[str]:
    return [
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
        "2",
        *extra,
    ]


def _one_error_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def test_a_second_explore_on_a_busy_run_directory_is_refused(toolbox: Path, tmp_path: Path):
    run_dir = tmp_path / "run"
    with ScriptedEndpoint(latency_s=0.3) as endpoint:
        first = subprocess.Popen(
            [*STE, *_explore(endpoint, toolbox, run_dir)],
            env=_env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 30
            while endpoint.arrivals == 0:  # the first has its lock and is at work
                assert first.poll() is None and time.monotonic() < deadline
                time.sleep(0.02)
            second = _ste(*_explore(endpoint, toolbox, run_dir))
            line = " ".join(_one_error_line(second).split())
            assert f"in use by another ste process (PID {first.pid}" in line
            os.kill(first.pid, signal.SIGKILL)  # a crash: the kernel drops its lock
            first.wait()
        finally:
            first.kill()
            first.wait()
        arrivals = endpoint.arrivals
        resumed = _ste(*_explore(endpoint, toolbox, run_dir))
        assert resumed.returncode == 0, resumed.stderr
        assert endpoint.arrivals > arrivals
    ids = [json.loads(line)["id"] for line in (run_dir / "trials.jsonl").read_text().splitlines()]
    assert sorted(ids) == sorted(f"{t}/e1/t{i}" for t in TOOLS for i in (1, 2))


def test_the_lock_names_its_holder_and_is_free_once_it_ends(tmp_path: Path):
    holder = subprocess.Popen(
        [
            *STE[:2],
            f"from ste import workdir; workdir.lock({str(tmp_path)!r});"
            " print('locked', flush=True); import time; time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(SteError, match=f"PID {holder.pid}, started"):
            workdir.start(tmp_path, {"kind": "x"}, force=False, what="a test")
    finally:
        holder.kill()
        holder.wait()
    workdir.start(tmp_path, {"kind": "x"}, force=False, what="a test")  # free again
    workdir.unlock(tmp_path)


@pytest.fixture(scope="module")
def endpoint():
    with ScriptedEndpoint() as scripted:
        yield scripted


@pytest.fixture
def explored(endpoint: ScriptedEndpoint, toolbox: Path, tmp_path: Path) -> Path:
    run_dir = tmp_path / "run"
    result = _ste(*_explore(endpoint, toolbox, run_dir))
    assert result.returncode == 0, result.stderr
    return run_dir


def _replace_line(path: Path, number: int, line: bytes) -> None:
    lines = path.read_bytes().splitlines()
    lines[number - 1] = line
    path.write_bytes(b"\n".join(lines) + b"\n")


@pytest.mark.parametrize(
    ("line", "said"),
    [
        (b'{"id": "alpha/e1/t1", "episode": 0, "trial": 0, "seed": 1}', "tool: Field required"),
        (
            b'{"id": "alpha/e1/t1", "tool": "alpha", "episode": "x", "trial": 0, "seed": 1}',
            "episode",
        ),
        (b'{"id": "caf\xe9"}', "not UTF-8"),
        (b"this is not json", "not a JSON line"),
        (b"[1, 2]", "a JSON list, not an object"),
    ],
)
def test_a_corrupt_trial_line_is_named_by_file_and_line(explored: Path, line: bytes, said: str):
    trials = explored / "trials.jsonl"
    _replace_line(trials, 2, line)
    for command in (["show", str(explored)], ["explore", "--resume", str(explored)]):
        message = " ".join(_one_error_line(_ste(*command)).split())
        assert "trials.jsonl:2: " in message and said in message, message
    report = _ste("report", str(explored), "--out", str(explored.parent / "report.html"))
    assert said in " ".join(_one_error_line(report).split())


def test_a_torn_last_line_is_skipped_then_repaired(explored: Path, endpoint: ScriptedEndpoint):
    trials = explored / "trials.jsonl"
    whole = trials.read_bytes()
    lines = whole.splitlines(keepends=True)
    trials.write_bytes(b"".join(lines[:-1]) + lines[-1][:40])  # a kill mid-write
    assert len(numbered_records(trials)) == len(lines) - 1
    assert _ste("show", str(explored)).returncode == 0
    resumed = _ste("explore", "--resume", str(explored))
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(line) for line in trials.read_text().splitlines()]
    assert len(records) == len(lines) and len({r["id"] for r in records}) == len(lines)


def test_a_ledger_line_with_wrong_types_is_named(explored: Path):
    ledger = explored / "usage.jsonl"
    _replace_line(ledger, 1, b'{"tool": "alpha", "calls": "many"}')
    message = " ".join(_one_error_line(_ste("show", str(explored))).split())
    assert "usage.jsonl:1: not a ledger entry (calls:" in message


def test_a_tests_file_that_is_not_utf8_names_its_line(tmp_path: Path):
    tests = tmp_path / "tests.jsonl"
    good = {"id": "a", "query": "q", "expected": [{"name": "alpha", "arguments": {}}]}
    tests.write_bytes(json.dumps(good).encode() + b'\n{"id": "b", "query": "caf\xe9"}\n')
    with pytest.raises(SteError, match=r"tests.jsonl:2: not UTF-8"):
        load_tests(tests)
    tests.write_bytes(b"[" * 100_000 + b"\n")
    with pytest.raises(SteError, match=r"tests.jsonl:1: not JSON ste reads"):
        load_tests(tests)


def test_nothing_ste_writes_holds_a_bare_nan(tmp_path: Path):
    with JsonlAppender(tmp_path / "a.jsonl") as sink:
        sink.append({"rate": math.nan, "nested": [{"x": math.inf}], "ok": 1.5})
    line = (tmp_path / "a.jsonl").read_text()
    assert "NaN" not in line and "Infinity" not in line
    assert json.loads(line) == {"rate": None, "nested": [{"x": None}], "ok": 1.5}
    write_json(tmp_path / "summary.json", {"ci": [math.nan, 0.5]})
    assert json.loads((tmp_path / "summary.json").read_text()) == {"ci": [None, 0.5]}
