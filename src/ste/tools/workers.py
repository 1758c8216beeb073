"""Python tools in worker processes: a tool that dies, hangs or explodes cannot end a run.

`WorkerPool(source)` keeps processes that have imported the toolbox once (started when the
first call needs one, as many as there are calls at the same time). A call goes to an idle
worker; its reply comes back as the value, or as a `WorkerFault` naming what happened:

* the process ended during the call (an `os._exit`, a segfault, a signal): its exit code or
  signal and the seconds it ran; the dead worker is dropped and the next call starts a
  fresh one;
* the call was cancelled (the caller's timeout): the worker is killed, so a spinning tool
  burns no more CPU;
* the result cannot be written as strict JSON (NaN, too deep, a huge integer).

Every pool is closed when the process exits, and each worker gets SIGKILL if its parent
dies, so nothing outlives the run.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from ste.errors import ToolboxError

DEFAULT_MEMORY_MB = 4096
MEMORY_ENV = "STE_TOOL_MEMORY_MB"
START_TIMEOUT_S = 120.0  # importing a toolbox may be slow; it does not count as call time
MAX_IDLE = 8  # idle workers kept across all pools; the oldest beyond that are stopped


def memory_cap_mb() -> int:
    """The per-worker address-space cap: $STE_TOOL_MEMORY_MB (0 = none), else 4096."""
    raw = os.environ.get(MEMORY_ENV, "").strip()
    if not raw:
        return DEFAULT_MEMORY_MB
    try:
        value = int(raw)
    except ValueError:
        raise ToolboxError(
            f"{MEMORY_ENV}={raw!r} is not a whole number of megabytes (0 turns the cap off)"
        ) from None
    if value < 0:
        raise ToolboxError(f"{MEMORY_ENV}={raw!r} must be >= 0 (0 turns the cap off)")
    return value


class WorkerFault(Exception):
    """A call that did not produce a value; `kind` is a `ToolResult.error_kind`."""

    def __init__(self, observation: str, kind: str = "tool_error") -> None:
        super().__init__(observation)
        self.observation = observation
        self.kind = kind


def describe_end(returncode: int | None, seconds: float) -> str:
    if returncode is not None and returncode < 0:
        try:
            how = f"killed by signal {signal.Signals(-returncode).name}"
        except ValueError:
            how = f"killed by signal {-returncode}"
    else:
        how = f"exit code {returncode}"
    return f"the tool's process ended during the call ({how}, after {seconds:.1f} s)"


@dataclass(eq=False)
class _Worker:
    process: subprocess.Popen[bytes]
    connection: Connection

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        with contextlib.suppress(Exception):
            self.process.wait(timeout=5)
        with contextlib.suppress(OSError):
            self.connection.close()


class WorkerPool:
    """Worker processes for one toolbox source (a .py path or a module name)."""

    def __init__(self, source: str, *, memory_mb: int | None = None) -> None:
        self.source = source
        self.memory_mb = memory_cap_mb() if memory_mb is None else memory_mb
        self._idle: list[_Worker] = []
        self._all: set[_Worker] = set()
        self._lock = _LOCK
        self.started = 0  # how many processes this pool has started (for tests and benches)
        _POOLS.append(self)

    # -- processes --------------------------------------------------------------------
    def _start(self) -> _Worker:
        parent_end, child_end = socket.socketpair()
        environment = dict(os.environ)
        environment["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)  # module sources
        command = [
            sys.executable,
            "-m",
            "ste.tools.worker",
            str(child_end.fileno()),
            self.source,
            str(self.memory_mb),
        ]
        try:
            process = subprocess.Popen(
                command,
                pass_fds=(child_end.fileno(),),
                stdin=subprocess.DEVNULL,
                env=environment,
            )
        finally:
            child_end.close()
        worker = _Worker(process, Connection(parent_end.detach()))
        if not worker.connection.poll(START_TIMEOUT_S):
            worker.kill()
            raise ToolboxError(
                f"{self.source}: the tool worker did not start within {START_TIMEOUT_S:g} s"
            )
        try:
            hello = worker.connection.recv()
        except (EOFError, OSError):
            code = process.wait(timeout=5)
            raise ToolboxError(
                f"{self.source}: the tool worker ended while importing the toolbox "
                f"(exit code {code})"
            ) from None
        if hello[0] != "ready":
            worker.kill()
            raise ToolboxError(hello[1])
        self.started += 1
        return worker

    def _acquire(self) -> _Worker:
        with self._lock:
            while self._idle:
                worker = self._idle.pop()
                with contextlib.suppress(ValueError):
                    _IDLE_ORDER.remove((self, worker))
                if worker.process.poll() is None:
                    return worker
                self._all.discard(worker)
        worker = self._start()
        with self._lock:
            self._all.add(worker)
        return worker

    def _release(self, worker: _Worker) -> None:
        if worker.process.poll() is not None:
            self._discard(worker)
            return
        self._park(worker)

    def _park(self, worker: _Worker) -> None:
        """Keep an idle worker for the next call; the oldest beyond MAX_IDLE are stopped."""
        with self._lock:
            self._idle.append(worker)
            _IDLE_ORDER.append((self, worker))
            surplus = []
            while len(_IDLE_ORDER) > MAX_IDLE:
                pool, oldest = _IDLE_ORDER.pop(0)
                if oldest in pool._idle:
                    pool._idle.remove(oldest)
                    surplus.append((pool, oldest))
        for pool, oldest in surplus:
            pool._discard(oldest)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)

    def pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._all if w.process.poll() is None]

    def close(self) -> None:
        with self._lock:
            workers, self._all, self._idle = list(self._all), set(), []
            _IDLE_ORDER[:] = [(p, w) for p, w in _IDLE_ORDER if p is not self]
        for worker in workers:
            worker.kill()

    # -- calls ------------------------------------------------------------------------
    def bound(self, name: str) -> Any:
        """An async function calling tool `name` in a worker (what `Tool.function` holds)."""

        async def call_in_worker(**arguments: Any) -> Any:
            return await self.call(name, arguments)

        call_in_worker.__name__ = name
        call_in_worker.__qualname__ = name
        call_in_worker.pool = self  # type: ignore[attr-defined]
        return call_in_worker

    async def call(self, name: str, arguments: dict[str, Any]) -> Any:
        """The tool's return value (strings as strings, the rest parsed from strict JSON).

        Raises `WorkerFault` when there is no value; cancelling the call kills the worker.
        """
        worker = await asyncio.to_thread(self._acquire)
        started = time.perf_counter()
        loop = asyncio.get_running_loop()
        readable: asyncio.Future[None] = loop.create_future()
        fd = worker.connection.fileno()
        try:
            worker.connection.send((name, arguments))
            loop.add_reader(fd, lambda: readable.done() or readable.set_result(None))
            try:
                await readable
            finally:
                loop.remove_reader(fd)
            reply = worker.connection.recv()
        except asyncio.CancelledError:
            self._discard(worker)  # a timed-out tool is stopped, not left running
            raise
        except (EOFError, OSError):
            seconds = time.perf_counter() - started
            try:
                code = worker.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                code = None
            self._discard(worker)
            raise WorkerFault(f"Error: {describe_end(code, seconds)}") from None
        self._release(worker)
        if reply[0] == "error":
            raise WorkerFault(reply[1], reply[2])
        _, text, is_text, truncated = reply
        if is_text or truncated:
            return text
        return json.loads(text)


class SessionPool(WorkerPool):
    """One worker holding one instance of a stateful toolbox, started from `state`.

    Calls go one at a time (the caller's lock), so the pool has one worker. A worker that
    dies (or is killed by a timeout) takes the instance's state with it: the next call gets
    a fresh instance from `state` again. Idle session workers are not stopped to make room.
    """

    def __init__(self, source: str, state: Any = None) -> None:
        super().__init__(source)
        self.state = state

    def _start(self) -> _Worker:
        from ste.tools.stateful import NEW

        worker = super()._start()
        worker.connection.send((NEW, {"state": self.state}))
        if not worker.connection.poll(START_TIMEOUT_S):
            worker.kill()
            raise WorkerFault(f"Error: {self.source}: setting up the instance took too long")
        reply = worker.connection.recv()
        if reply[0] == "error":
            worker.kill()
            raise WorkerFault(reply[1], reply[2])
        return worker

    def _park(self, worker: _Worker) -> None:
        with self._lock:  # never stopped to make room: it holds the instance's state
            self._idle.append(worker)

    def close(self) -> None:
        super().close()
        with self._lock, contextlib.suppress(ValueError):
            _POOLS.remove(self)


_POOLS: list[WorkerPool] = []
_IDLE_ORDER: list[tuple[WorkerPool, _Worker]] = []
_LOCK = threading.RLock()


@atexit.register
def close_all() -> None:
    """Stop every worker of every pool (also called at interpreter exit)."""
    for pool in list(_POOLS):
        pool.close()
