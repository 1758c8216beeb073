import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

TOOLBOXES = Path(__file__).parent / "toolboxes"


@pytest.fixture
def toolboxes() -> Path:
    return TOOLBOXES


def require_module(name: str) -> None:
    """Skip when an optional module is missing, or fail under STE_REQUIRE_REAL_MODEL=1 (CI),
    where the README's test command installs everything: there a skip would hide a test."""
    import importlib.util
    import os

    if importlib.util.find_spec(name) is not None:
        return
    reason = f"{name} is not installed (pip install -e '.[test]')"
    if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)


STE = [sys.executable, "-c", "from ste.cli import app; app()"]


def run_ste(*arguments: str, env: dict[str, str] | None = None, timeout: float = 120):
    """`ste ARGUMENTS` as a user runs it: its own process, no colours, a wide terminal."""
    import os
    import subprocess

    base = {**os.environ, "OPENAI_API_KEY": "sk-local", "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [*STE, *arguments],
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_error_line(result, message: str) -> None:
    """Exit 2 and one line on stderr that says `message`, no traceback."""
    assert result.returncode == 2, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], result.stderr


def free_port() -> int:
    """A TCP port nothing listens on now (for a server a test starts)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, process=None, seconds: float = 60) -> None:
    """Until something listens on 127.0.0.1:PORT (a server a test started)."""
    import socket
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if process is not None and process.poll() is not None:
            break
        time.sleep(0.1)
    if process is not None:
        process.kill()
    pytest.fail(f"nothing listens on 127.0.0.1:{port}")
