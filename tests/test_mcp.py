"""MCP servers as tool sources, with real servers and the real protocol (no mocks).

* `servers/mcp_notes_server.py`, written with the SDK: read-only, destructive, erroring,
  hanging and crashing tools, over stdio as a subprocess and over streamable HTTP;
* `mcp-server-time`, a third-party server from PyPI that works offline;
* `ste mcp-serve` round trip: the bundled toolbox evaluated through MCP gives the same calls
  and results as through the Python loader;
* the side-effect policy, asserted on the server's own file, not on ste's log.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import assert_one_error_line, free_port, run_ste, wait_for_port
from ste.tools import BUNDLED_TESTS, execute, load_tools
from ste.tools.mcp_source import close_all, set_log_dir

SERVERS = Path(__file__).parent / "servers"
NOTES_SERVER = SERVERS / "mcp_notes_server.py"
STE_CLI = [sys.executable, "-c", "from ste.cli import app; app()"]


@pytest.fixture(autouse=True)
def _stop_servers() -> Iterator[None]:
    yield
    close_all()
    set_log_dir(None)


def write_config(path: Path, servers: dict[str, Any]) -> Path:
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


@pytest.fixture
def notes_file(tmp_path: Path) -> Path:
    path = tmp_path / "notes.json"
    path.write_text(json.dumps({"alpha": "first note", "beta": "second note"}))
    return path


@pytest.fixture
def notes_config(tmp_path: Path, notes_file: Path) -> Path:
    server = {
        "command": sys.executable,
        "args": [str(NOTES_SERVER)],
        "env": {"NOTES_FILE": str(notes_file)},
    }
    return write_config(tmp_path / "mcp.json", {"notes": server})


async def test_a_stdio_server_is_one_session_for_every_call(notes_config, tmp_path):
    set_log_dir(tmp_path / "logs")
    tools = {t.name: t for t in load_tools(str(notes_config))}
    assert list(tools) == ["read_note", "delete_note", "fail", "hang", "crash"]
    assert tools["read_note"].parameters["required"] == ["key"]
    assert (tools["read_note"].effect, tools["read_note"].effect_from) == (
        "read_only",
        "readOnlyHint",
    )
    assert tools["delete_note"].effect == "side_effecting"
    assert tools["fail"].effect == "unknown" and not tools["fail"].runs_by_default
    assert tools["read_note"].source == "mcp:notes"

    ok = await execute(tools["read_note"], {"key": "alpha"})
    assert ok.ok and ok.value == {"result": "first note"}
    # concurrent calls share the session
    many = await asyncio.gather(*(execute(tools["read_note"], {"key": "beta"}) for _ in range(6)))
    assert all(r.ok and r.value == {"result": "second note"} for r in many)
    # isError -> an error observation carrying the server's text
    missing = await execute(tools["read_note"], {"key": "zeta"})
    assert not missing.ok and missing.error_kind == "tool_error"
    assert "no note under 'zeta'; the keys are: alpha, beta" in missing.observation
    refused = await execute(tools["fail"], {"reason": "on purpose"})
    assert not refused.ok and "refused: on purpose" in refused.observation
    # schema validation before the call
    invalid = await execute(tools["read_note"], {"key": 3})
    assert invalid.error_kind == "invalid_arguments"


async def test_a_hanging_call_times_out_and_the_session_goes_on(notes_config):
    tools = {t.name: t for t in load_tools(str(notes_config))}
    started = time.monotonic()
    late = await execute(tools["hang"], {}, timeout=1.0)
    # the tool sleeps an hour: the call came back at its timeout, not at the end
    assert late.error_kind == "timeout" and time.monotonic() - started < 60
    after = await execute(tools["read_note"], {"key": "alpha"})
    assert after.ok


async def test_a_server_that_dies_is_named_and_started_again(notes_config, tmp_path):
    set_log_dir(tmp_path / "logs")
    tools = {t.name: t for t in load_tools(str(notes_config))}
    died = await execute(tools["crash"], {})
    assert not died.ok
    assert "the MCP server 'notes' stopped during the call" in died.observation
    assert "crashing on purpose" in died.observation  # its last stderr line
    assert "started again for the next call" in died.observation
    again = await execute(tools["read_note"], {"key": "beta"})
    assert again.ok and again.value == {"result": "second note"}
    log = (tmp_path / "logs" / "mcp-notes.log").read_text()
    assert "crashing on purpose" in log and log.count("notes server ready") == 2


@pytest.fixture
def http_server(notes_file: Path) -> Iterator[str]:
    port = free_port()
    env = {**os.environ, "NOTES_FILE": str(notes_file)}
    process = subprocess.Popen(
        [sys.executable, str(NOTES_SERVER), "--http", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, process)
    yield f"http://127.0.0.1:{port}/mcp"
    process.kill()
    process.wait()


async def test_a_streamable_http_server(http_server, tmp_path, monkeypatch):
    monkeypatch.setenv("NOTES_TOKEN", "secret-token-123")
    config = write_config(
        tmp_path / "http.json",
        {"remote": {"url": http_server, "headers": {"Authorization": "Bearer ${NOTES_TOKEN}"}}},
    )
    tools = {t.name: t for t in load_tools(str(config))}
    assert tools["read_note"].source == "mcp:remote"
    result = await execute(tools["read_note"], {"key": "alpha"})
    assert result.ok and result.value == {"result": "first note"}


async def test_a_third_party_server_from_pypi(tmp_path):
    server = {
        "command": sys.executable,
        "args": ["-m", "mcp_server_time", "--local-timezone", "UTC"],
    }
    config = write_config(tmp_path / "time.json", {"time": server})
    tools = {t.name: t for t in load_tools(str(config))}
    assert set(tools) == {"get_current_time", "convert_time"}
    assert tools["convert_time"].effect == "read_only"
    arguments = {
        "source_timezone": "Europe/London",
        "time": "14:30",
        "target_timezone": "Asia/Tokyo",
    }
    converted = await execute(tools["convert_time"], arguments)
    assert converted.ok and converted.value["target"]["datetime"].endswith("23:30:00+09:00")
    bad = await execute(tools["convert_time"], {**arguments, "source_timezone": "Mars/Base"})
    assert not bad.ok and "Mars/Base" in bad.observation


async def test_two_servers_form_one_toolbox_prefixing_only_clashing_names(tmp_path, notes_file):
    notes = {
        "command": sys.executable,
        "args": [str(NOTES_SERVER)],
        "env": {"NOTES_FILE": str(notes_file)},
    }
    config = write_config(tmp_path / "two.json", {"a": notes, "b": notes})
    names = [t.name for t in load_tools(str(config))]
    assert names[:2] == ["a_read_note", "a_delete_note"] and "b_crash" in names
    time_server = {"command": sys.executable, "args": ["-m", "mcp_server_time"]}
    mixed = write_config(tmp_path / "mixed.json", {"notes": notes, "time": time_server})
    assert "read_note" in [t.name for t in load_tools(str(mixed))]  # no clash, no prefix


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"mcpServers": {"x": {"comand": "python"}}', "not valid JSON"),
        ('{"mcpServers": {"x": {"comand": "python"}}}', "mcpServers.x"),
        ('{"mcpServers": {"x": {"url": "ftp://host"}}}', "mcpServers.x"),
        ('{"mcpServers": {}}', "names no MCP server"),
        ('{"servers": {}}', "neither an MCP config"),
        ('{"mcpServers": {"x": {"command": "no-such-command-ste"}}}', "command not found"),
        (
            json.dumps(
                {
                    "mcpServers": {
                        "x": {
                            "command": sys.executable,
                            "args": [
                                "-c",
                                "import sys; print('bye', file=sys.stderr); sys.exit(1)",
                            ],
                        }
                    }
                }
            ),
            "did not start",
        ),
    ],
)
def test_a_bad_config_or_server_is_one_clear_line(tmp_path, content, message):
    config = tmp_path / "mcp.json"
    config.write_text(content)
    assert_one_error_line(run_ste("tools", str(config)), message)


def test_a_server_that_exits_on_start_shows_its_last_words(tmp_path):
    script = "import sys; print('missing API key', file=sys.stderr); sys.exit(1)"
    config = write_config(
        tmp_path / "mcp.json", {"x": {"command": sys.executable, "args": ["-c", script]}}
    )
    result = run_ste("tools", str(config))
    assert result.returncode == 2 and "missing API key" in result.stderr


def _explore(
    config: Path, out: Path, endpoint: Any, *extra: str
) -> subprocess.CompletedProcess[str]:
    return run_ste(
        "explore",
        str(config),
        "--model",
        "openai:scripted",
        "--base-url",
        endpoint.base_url,
        "--out",
        str(out),
        "--episodes",
        "1",
        "--trials",
        "1",
        "--only",
        "delete_note",
        *extra,
    )


def test_a_destructive_tool_runs_in_exploration_only_when_allowed(
    notes_config, notes_file, tmp_path
):
    from ste.testing.scripted_endpoint import ScriptedEndpoint

    with ScriptedEndpoint(tool_arguments=lambda _name: {"key": "alpha"}) as endpoint:
        held = _explore(notes_config, tmp_path / "held", endpoint)
        assert held.returncode == 0, held.stderr
        assert "not run" in held.stderr and "delete_note" in held.stderr
        # the server's stderr, from its start-up on, is in the run directory
        assert "notes server ready" in (tmp_path / "held" / "mcp-notes.log").read_text()
        assert "alpha" in json.loads(notes_file.read_text())  # the server's own state
        trial = json.loads((tmp_path / "held" / "trials.jsonl").read_text().splitlines()[0])
        called = [s for s in trial["steps"] if s.get("call")]
        assert called and called[0]["error_kind"] == "not_executed"
        assert "was not run" in called[0]["observation"]

        allowed = _explore(
            notes_config, tmp_path / "ran", endpoint, "--allow-side-effects", "delete_note"
        )
        assert allowed.returncode == 0, allowed.stderr
        assert "alpha" not in json.loads(notes_file.read_text())


def test_a_reset_restores_the_fixture_before_each_episode(notes_config, notes_file, tmp_path):
    from ste.testing.scripted_endpoint import ScriptedEndpoint

    fixture = tmp_path / "fixture.json"
    fixture.write_text(notes_file.read_text())
    reset = f"{sys.executable} -c \"import shutil; shutil.copy('{fixture}', '{notes_file}')\""
    with ScriptedEndpoint(tool_arguments=lambda _name: {"key": "alpha"}) as endpoint:
        result = _explore(
            notes_config,
            tmp_path / "run",
            endpoint,
            "--allow-side-effects",
            "all",
            "--reset",
            reset,
            "--episodes",
            "2",
        )
    assert result.returncode == 0, result.stderr
    trials = [
        json.loads(line) for line in (tmp_path / "run" / "trials.jsonl").read_text().splitlines()
    ]
    # each episode's delete found the note: the reset put it back in between
    assert len(trials) == 2
    for trial in trials:
        assert any(s.get("observation", "").find("deleted alpha") >= 0 for s in trial["steps"])


def test_a_failing_reset_stops_the_run_with_one_line(notes_config, tmp_path):
    from ste.testing.scripted_endpoint import ScriptedEndpoint

    with ScriptedEndpoint(tool_arguments=lambda _name: {"key": "alpha"}) as endpoint:
        result = _explore(notes_config, tmp_path / "run", endpoint, "--reset", "false")
    assert result.returncode == 2 and "--reset 'false' failed (exit code 1)" in result.stderr


async def test_mcp_serve_round_trip_gives_the_same_calls_and_results(tmp_path):
    """The bundled tools and test set through `ste mcp-serve` and through the Python loader:
    every expected call of the test set gives the same observation both ways."""
    config = write_config(
        tmp_path / "self.json",
        {
            "ste": {
                "command": sys.executable,
                "args": ["-c", "from ste.cli import app; app()", "mcp-serve"],
            }
        },
    )
    direct = {t.name: t for t in load_tools(None)}
    served = {t.name: t for t in load_tools(str(config))}
    assert list(served) == list(direct)
    for name, tool in served.items():
        assert tool.parameters == direct[name].parameters
        assert tool.description == direct[name].description
        assert tool.effect == "read_only"  # @read_only in Python -> readOnlyHint -> read_only
    items = [json.loads(line) for line in BUNDLED_TESTS.read_text().splitlines() if line.strip()]
    compared = 0
    for item in items:
        for call in item["expected"]:
            one = await execute(direct[call["name"]], call["arguments"])
            two = await execute(served[call["name"]], call["arguments"])
            assert (one.ok, one.observation) == (two.ok, two.observation), call
            compared += 1
    assert compared >= len(items)
    # errors read the same way too
    wrong = {"cidr": "10.0.0.300/8"}
    one, two = (
        await execute(direct["subnet_info"], wrong),
        await execute(served["subnet_info"], wrong),
    )
    assert not one.ok and (one.observation, one.error_kind) == (two.observation, two.error_kind)


MCP1_SERVER = ("mcp[cli]==1.27.0", "mcp-server-sqlite==2025.4.25")


@pytest.fixture(scope="session")
def mcp1_venv() -> Path:
    """A server built on the SDK's previous major version, in an environment of its own (its
    pins clash with ste's): kept between runs in the user's cache, built once from PyPI."""
    import hashlib
    import shutil

    key = hashlib.sha256(" ".join(MCP1_SERVER).encode()).hexdigest()[:12]
    root = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ste-tests" / key
    script = root / "bin" / "mcp-server-sqlite"
    if not script.is_file():
        shutil.rmtree(root, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(root)], check=True, timeout=120)
        subprocess.run(
            [str(root / "bin" / "pip"), "install", "-q", *MCP1_SERVER], check=True, timeout=600
        )
    return script


async def test_a_server_on_the_previous_sdk_major_version(mcp1_venv, tmp_path):
    import sqlite3

    from ste.tools.effects import SideEffectPolicy, apply_policy

    db = tmp_path / "shop.db"
    config = write_config(
        tmp_path / "db.json", {"db": {"command": str(mcp1_venv), "args": ["--db-path", str(db)]}}
    )
    loaded = load_tools(str(config))
    assert {"read_query", "write_query", "create_table"} <= {t.name for t in loaded}
    assert all(t.effect == "unknown" for t in loaded)  # this server gives no annotations
    held = {t.name: t for t in apply_policy(loaded, SideEffectPolicy())}
    create = {"query": "CREATE TABLE t (a INTEGER)"}
    not_run = await execute(held["create_table"], create)
    assert not_run.error_kind == "not_executed"
    tables = sqlite3.connect(db).execute("SELECT name FROM sqlite_master").fetchall()
    assert tables == []  # the database itself says nothing ran
    allowed = {t.name: t for t in apply_policy(loaded, SideEffectPolicy.parse("all"))}
    assert (await execute(allowed["create_table"], create)).ok
    assert (await execute(allowed["write_query"], {"query": "INSERT INTO t VALUES (7)"})).ok
    read = await execute(allowed["read_query"], {"query": "SELECT a FROM t"})
    assert read.ok and "7" in read.observation
    assert sqlite3.connect(db).execute("SELECT a FROM t").fetchall() == [(7,)]


async def test_mcp_serve_over_streamable_http_on_127_0_0_1(tmp_path):
    port = free_port()
    process = subprocess.Popen(
        [*STE_CLI, "mcp-serve", "--http", "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, process)
        config = write_config(
            tmp_path / "http.json", {"ste": {"url": f"http://127.0.0.1:{port}/mcp"}}
        )
        served = {t.name: t for t in load_tools(str(config))}
        digest = await execute(served["hash_text"], {"text": "abc", "algorithm": "md5"})
        assert digest.ok and "900150983cd24fb0d6963f7d28e17f72" in digest.observation
    finally:
        process.kill()
        process.wait()


MCP1_CLIENT = """
import asyncio, json, sys
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

async def main():
    server = StdioServerParameters(command=sys.argv[1], args=sys.argv[2:])
    async with stdio_client(server) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        hints = {t.name: t.annotations.readOnlyHint for t in listed.tools}
        result = await session.call_tool("hash_text", {"text": "abc", "algorithm": "md5"})
        print(json.dumps({"hints": hints, "text": result.content[0].text}))

asyncio.run(main())
"""


def test_a_client_on_the_previous_sdk_major_version_uses_mcp_serve(mcp1_venv, tmp_path):
    """The other way round: `ste mcp-serve` (SDK 2.x) answers an SDK 1.x client."""
    client = tmp_path / "client.py"
    client.write_text(MCP1_CLIENT)
    python = mcp1_venv.parent / "python"
    result = subprocess.run(
        [str(python), str(client), *STE_CLI, "mcp-serve"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["hints"]["hash_text"] is True  # @read_only -> readOnlyHint
    assert "900150983cd24fb0d6963f7d28e17f72" in answer["text"]
