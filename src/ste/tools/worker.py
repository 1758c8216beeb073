"""The process a Python toolbox runs in: `python -m ste.tools.worker FD SOURCE MEMORY_MB`.

It imports the toolbox once, says `ready`, then answers calls one at a time over the
connection on FD until the connection closes. Whatever a tool does (raise, exit, crash,
spin, allocate without end, return something JSON cannot hold), the parent process only
sees a reply or this process's end, never its own crash. See `ste.tools.workers`.

Replies: ("ok", text, is_text, truncated) | ("error", observation, error kind).
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import os
import resource
import sys
import threading
import time
from multiprocessing.connection import Connection
from typing import Any

MAX_TRANSFER_CHARS = 4_000_000  # a result longer than this reaches the parent cut


def die_with_parent() -> None:
    """End this process soon after the parent dies, even mid-call (a kill -9 of `ste`).

    A watchdog thread rather than Linux's PR_SET_PDEATHSIG, which fires when the *thread*
    that started the worker ends, not the process.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="ste-parent-watch", daemon=True).start()


def cap_memory(megabytes: int) -> None:
    """An address-space limit, so a memory bomb becomes a MemoryError, not a dead machine."""
    if megabytes <= 0:
        return
    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def run_call(functions: dict[str, Any], name: str, arguments: dict[str, Any]) -> tuple:
    from ste.prompts import render
    from ste.tools.execute import describe_exception, serialise

    function = functions.get(name)
    if function is None:
        return ("error", render("observation_error", message=f"no tool named {name}"), "tool_error")
    try:
        value = function(**arguments)
        if inspect.isawaitable(value):
            value = asyncio.run(_awaited(value))
    except BaseException as error:  # noqa: BLE001 - every failure is an observation
        if isinstance(error, MemoryError):
            error = MemoryError("the tool ran out of memory (the worker's memory cap)")
        return ("error", describe_exception(error), "tool_error")
    try:
        text = serialise(value)  # the same strict JSON as in-process tools
    except (TypeError, ValueError) as error:
        message = render("observation_unserialisable", tool=name, error=str(error))
        return ("error", message, "unserialisable")
    truncated = len(text) > MAX_TRANSFER_CHARS
    return ("ok", text[:MAX_TRANSFER_CHARS], isinstance(value, str), truncated)


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def main(argv: list[str]) -> int:
    fd, source, memory_mb = int(argv[0]), argv[1], int(argv[2])
    connection = Connection(fd)
    die_with_parent()
    os.dup2(2, 1)  # a tool's print() must not reach the parent's stdout (e.g. --json output)
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 3000))
    from ste.errors import SteError
    from ste.tools.python_source import python_functions

    try:
        functions = python_functions(source)
    except SteError as error:
        connection.send(("failed", str(error)))
        return 2
    cap_memory(memory_mb)
    connection.send(("ready",))
    while True:
        try:
            name, arguments = connection.recv()
        except (EOFError, OSError):
            return 0
        try:
            reply = run_call(functions, name, arguments)
        except BaseException as error:  # noqa: BLE001 - even a failing reply is a reply
            failure = f"Error: the tool's worker failed: {type(error).__name__}"
            reply = ("error", failure, "tool_error")
        try:
            connection.send(reply)
        except (OSError, ValueError):
            return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
