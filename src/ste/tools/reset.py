"""A reset: the user's command run before each exploration episode and each test item
(restoring a fixture, a staging copy), so side-effecting tools the user allows can run
against something that does not matter. It runs without a shell, from `shlex.split`."""

from __future__ import annotations

import asyncio
import shlex

from ste.errors import SteError

RESET_TIMEOUT_S = 300.0


def check_reset(command: str) -> list[str]:
    """The command as arguments; a command that cannot be split is an error."""
    try:
        argv = shlex.split(command)
    except ValueError as error:
        raise SteError(f"--reset {command!r}: cannot be read as a command ({error})") from None
    if not argv:
        raise SteError("--reset: the command is empty")
    return argv


async def run_reset(command: str, timeout: float = RESET_TIMEOUT_S) -> None:
    """Run the reset; a failure stops the run (its state would be unknown)."""
    argv = check_reset(command)
    try:
        process = await asyncio.create_subprocess_exec(
            *argv, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
    except OSError as error:
        raise SteError(f"--reset {command!r}: cannot run it ({error})") from None
    try:
        _, stderr = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError:
        process.kill()
        raise SteError(f"--reset {command!r}: still running after {timeout:g} s") from None
    if process.returncode != 0:
        lines = stderr.decode(errors="replace").strip().splitlines()
        said = f": {lines[-1][:300]}" if lines else ""
        raise SteError(f"--reset {command!r} failed (exit code {process.returncode}){said}")
