"""Tools from MCP servers, through the official `mcp` SDK as a client.

One session per server for the whole run: `McpConnection` holds it on an event loop of its
own (a daemon thread), so every caller, whatever its event loop, shares it and calls run
concurrently. A call's result becomes a value: `structuredContent` as JSON where the server
gives it, else the text content joined; `isError` becomes an error observation carrying the
server's text. A server that dies is named in the observation and started again for the next
call. The server's stderr goes to `mcp-NAME.log` in the run directory (`set_log_dir`; before
a run starts, in ste's log folder).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import os
import shlex
import shutil
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ste.errors import ToolboxError
from ste.prompts import render
from ste.tools.config import HttpServer, StdioServer, expand, expand_all, secrets_in
from ste.tools.tool import Effect, Tool
from ste.tools.workers import WorkerFault

START_TIMEOUT_S = 60.0
_log_dir: Path | None = None
_connections: list[McpConnection] = []


def set_log_dir(directory: Path | None) -> None:
    """Send the stderr of every MCP server (running or started later) to this folder (None:
    ste's log folder)."""
    global _log_dir
    _log_dir = Path(directory) if directory is not None else None
    for connection in list(_connections):
        connection.log.flush_early()


def log_dir() -> Path:
    if _log_dir is not None:
        return _log_dir
    import platformdirs

    return Path(platformdirs.user_log_dir("ste"))


class ServerGone(Exception):
    """The server's session ended (it exited, crashed or closed the connection)."""


@dataclass(eq=False)
class _StderrLog:
    """Forwards a server's stderr, line by line, into the current log folder."""

    name: str
    tail: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=5))
    secrets: list[str] = field(default_factory=list)
    # what a server said before any run directory was set (its start-up), for the first one
    early: collections.deque[str] = field(default_factory=lambda: collections.deque(maxlen=500))
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _reader: threading.Thread | None = None  # forwards the latest server's stderr

    def open_pipe(self) -> int:
        """A pipe whose write end the server gets as its stderr; returns that end."""
        read_end, write_end = os.pipe()
        self._reader = threading.Thread(target=self._forward, args=(read_end,), daemon=True)
        self._reader.start()
        return write_end

    def path(self) -> Path:
        return log_dir() / f"mcp-{self.name}.log"

    def _forward(self, read_end: int) -> None:
        with open(read_end, encoding="utf-8", errors="replace") as pipe:
            for line in pipe:
                for secret in self.secrets:
                    line = line.replace(secret, "***")
                self.tail.append(line.rstrip())
                with self._lock:
                    if _log_dir is None:
                        self.early.append(line)
                    self._write([line])

    def _write(self, lines: list[str]) -> None:
        with contextlib.suppress(OSError):
            target = self.path()
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("a", encoding="utf-8") as out:
                out.writelines(lines)

    def flush_early(self) -> None:
        """Into a run directory just set: what the server said before it existed."""
        with self._lock:
            if _log_dir is not None and self.early:
                self._write(list(self.early))
                self.early.clear()

    def last_words(self, wait: float = 0.0) -> str:
        """The server's last stderr line, as told in an error. `wait`: up to that many
        seconds for the pipe's end, for a server that died (its last words may still be in
        the pipe when its connection is seen closed; only the server holds the write end)."""
        if wait and self._reader is not None:
            self._reader.join(wait)
        lines = [line for line in self.tail if line.strip()]
        return f"; its stderr ended with: {lines[-1][:300]}" if lines else ""


class McpConnection:
    """One MCP server and the session to it, shared by every call of a run."""

    def __init__(self, name: str, server: StdioServer | HttpServer, where: str) -> None:
        self.name = name
        self.server = server
        self.where = where
        self.log = _StderrLog(name)
        self._loop = asyncio.new_event_loop()
        threading.Thread(target=self._loop.run_forever, name=f"mcp-{name}", daemon=True).start()
        self._client: Any = None
        self._stop: asyncio.Event | None = None
        self._lock: asyncio.Lock | None = None
        self._errlog: Any = None  # ste's copy of a starting server's stderr pipe
        self.starts = 0
        _connections.append(self)

    # -- the session, on the connection's own loop ----------------------------------------

    def _transport(self) -> Any:
        from mcp.client.stdio import StdioServerParameters, stdio_client
        from mcp.client.streamable_http import streamable_http_client
        from mcp.shared._httpx_utils import create_mcp_http_client

        if isinstance(self.server, HttpServer):
            headers = expand_all(self.server.headers, f"{self.where}.headers")
            self.log.secrets = secrets_in(self.server.headers)
            client = create_mcp_http_client(headers=headers)
            return streamable_http_client(expand(self.server.url, self.where), http_client=client)
        env = expand_all(self.server.env, f"{self.where}.env")
        self.log.secrets = secrets_in(self.server.env)
        parameters = StdioServerParameters(
            command=resolve_command(expand(self.server.command, self.where)),
            args=[expand(a, self.where) for a in self.server.args],
            env=env or None,
            cwd=self.server.cwd,
        )
        # the server's stderr; ste's copy of it is closed once the server runs (`_hold`)
        self._errlog = open(self.log.open_pipe(), "w", encoding="utf-8")  # noqa: SIM115
        return stdio_client(parameters, errlog=self._errlog)

    async def _hold(self, ready: asyncio.Future[list[Any]]) -> None:
        """Open the session, list the tools, and keep the session until told to stop."""
        from mcp import Client

        self._stop = asyncio.Event()
        try:
            async with Client(self._transport(), cache=None) as client:
                if self._errlog is not None:  # the server has its own copy: at its exit
                    self._errlog.close()  # the pipe ends, and its last words are all read
                    self._errlog = None
                listed = []
                cursor = None
                while True:
                    page = await client.list_tools(cursor=cursor)
                    listed.extend(page.tools)
                    cursor = page.next_cursor
                    if not cursor:
                        break
                self._client = client
                ready.set_result(listed)
                await self._stop.wait()
        except BaseException as error:  # noqa: BLE001 - told to the caller that waits
            if not ready.done():
                ready.set_exception(error)
        finally:
            self._client = None

    async def _start(self) -> list[Any]:
        ready: asyncio.Future[list[Any]] = self._loop.create_future()
        self.starts += 1
        asyncio.ensure_future(self._hold(ready))
        return await asyncio.wait_for(ready, START_TIMEOUT_S)

    async def _call(self, tool: str, arguments: dict[str, Any]) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:  # one restart at a time
            if self._client is None:
                try:
                    await self._start()
                except BaseException as error:  # noqa: BLE001
                    raise ServerGone(f"it could not be started again ({_reason(error)})") from None
            client = self._client
        try:
            return await client.call_tool(tool, arguments)
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001
            if _is_protocol_error(error):
                raise ValueError(f"the MCP server refused the call: {_reason(error)}") from None
            self._retire(client)
            raise ServerGone(_reason(error)) from None

    def _retire(self, client: Any) -> None:
        if self._client is client and self._stop is not None:
            self._client = None
            self._stop.set()

    # -- what the rest of ste calls --------------------------------------------------------

    def start(self) -> list[Any]:
        """Start the server and list its tools (blocking); a failure is one clear error."""
        future = asyncio.run_coroutine_threadsafe(self._start(), self._loop)
        try:
            return future.result(START_TIMEOUT_S + 5)
        except BaseException as error:  # noqa: BLE001 - every start failure reads the same way
            self.close()
            raise ToolboxError(
                f"{self.where}: MCP server '{self.name}' ({self.describe()}) did not start: "
                f"{_reason(error)}{self.log.last_words()}"
            ) from None

    async def call(self, tool: str, arguments: dict[str, Any]) -> Any:
        """Call a tool from any event loop; a timeout of the caller cancels the call."""
        future = asyncio.run_coroutine_threadsafe(self._call(tool, arguments), self._loop)
        try:
            result = await asyncio.wrap_future(future)
        except ServerGone as gone:
            message = (
                f"the MCP server '{self.name}' stopped during the call ({gone})"
                f"{await asyncio.to_thread(self.log.last_words, 2.0)}; it is started again "
                "for the next call"
            )
            raise WorkerFault(render("observation_error", message=message)) from None
        return _value(result)

    def describe(self) -> str:
        if isinstance(self.server, HttpServer):
            return self.server.url
        return shlex.join([self.server.command, *self.server.args])

    def close(self) -> None:
        if self._loop.is_closed():
            return

        async def stop() -> None:
            if self._stop is not None:
                self._stop.set()
            await asyncio.sleep(0)
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(asyncio.gather(*tasks, return_exceptions=True), 5)

        with contextlib.suppress(BaseException):
            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(8)
        self._loop.call_soon_threadsafe(self._loop.stop)
        if self in _connections:
            _connections.remove(self)


def resolve_command(command: str) -> str:
    """A command on PATH, else one installed beside this Python (ste's own environment, where
    `pip install` put a server's script even when the environment is not activated)."""
    if os.sep in command or shutil.which(command):
        return command
    beside = Path(sys.executable).parent / command
    return str(beside) if beside.is_file() else command


def _reason(error: BaseException) -> str:
    if isinstance(error, BaseExceptionGroup):
        return "; ".join(_reason(e) for e in error.exceptions)
    if isinstance(error, TimeoutError):
        return f"no answer within {START_TIMEOUT_S:g} s"
    if isinstance(error, FileNotFoundError):
        return f"command not found ({error.strerror}: {error.filename})"
    text = str(error) or type(error).__name__
    return text if isinstance(error, ServerGone) else f"{type(error).__name__}: {text}"


def _is_protocol_error(error: BaseException) -> bool:
    """An error answer from a server that is still there (unknown tool, bad params)."""
    from mcp import MCPError
    from mcp_types import CONNECTION_CLOSED

    return isinstance(error, MCPError) and error.code != CONNECTION_CLOSED


def _value(result: Any) -> Any:
    """A `CallToolResult` as the value the model reads; `isError` raises ValueError."""
    parts = []
    for block in result.content:
        kind = getattr(block, "type", "")
        if kind == "text":
            parts.append(block.text)
        elif kind == "resource" and hasattr(block.resource, "text"):
            parts.append(block.resource.text)
        else:
            mime = getattr(block, "mime_type", None) or getattr(block, "uri", "") or kind
            parts.append(f"[{kind}: {mime}]")
    text = "\n".join(parts)
    if result.is_error:  # the server's own words; "Error: ..." added where it says neither
        text = text or "the tool reported an error without a message"
        said = (
            text if text.lower().startswith("error") else render("observation_error", message=text)
        )
        raise WorkerFault(said)
    if result.structured_content is not None:
        return result.structured_content
    return text


def mcp_effect(tool: Any) -> tuple[Effect, str]:
    """A listed tool's effect class from its annotations (hints from the server)."""
    hints = tool.annotations
    if hints is None:
        return "unknown", "no annotations"
    if hints.read_only_hint:
        return "read_only", "readOnlyHint"
    if hints.read_only_hint is False or hints.destructive_hint is not None:
        return "side_effecting", "destructiveHint" if hints.destructive_hint else "readOnlyHint"
    return "unknown", "no readOnlyHint"


def _caller(connection: McpConnection, remote_name: str) -> Callable[..., Any]:
    async def call(**arguments: Any) -> Any:
        return await connection.call(remote_name, arguments)

    return call


def mcp_tools(name: str, server: StdioServer | HttpServer, where: str) -> list[Tool]:
    """Start one server and make a Tool of each tool it lists (names as the server gives)."""
    connection = McpConnection(name, server, where)
    listed = connection.start()
    tools = []
    for remote in listed:
        effect, effect_from = mcp_effect(remote)
        schema = dict(remote.input_schema or {"type": "object", "properties": {}})
        schema.pop("title", None)
        tools.append(
            Tool(
                name=remote.name,
                description=" ".join((remote.description or remote.name).split()),
                parameters=schema,
                function=_caller(connection, remote.name),
                source=f"mcp:{name}",
                effect=effect,
                effect_from=effect_from,
            )
        )
    if not tools:
        connection.close()
        raise ToolboxError(f"{where}: MCP server '{name}' lists no tools")
    return tools


def close_all() -> None:
    """Stop every MCP server this process started."""
    for connection in list(_connections):
        connection.close()


atexit.register(close_all)
