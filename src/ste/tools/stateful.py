"""Stateful Python toolboxes: a class whose public methods are tools.

    from ste.tools.stateful import stateful

    @stateful(setup="load", error_key="error")
    class Files:
        def __init__(self) -> None:
            self.files: dict[str, str] = {}

        def load(self, state: dict) -> None:        # the scenario a test item starts from
            self.files = dict(state["files"])

        def write_file(self, path: str, text: str) -> dict:
            \"\"\"Write a text file.\"\"\"
            ...

Methods follow the rules of functions (docstring, type hints); `self`, private methods and
the setup / snapshot methods are not tools. Each exploration episode and each test item
gets a fresh instance (`fresh_instance`), in a worker process of its own, so state built in
one trial is there in the next trial of the episode and never leaks into another episode or
item. `setup` names the method given a test item's `state` (or an exploration start state);
`error_key` says that a returned dict holding that key is an error; `snapshot` names a method
returning the instance's state as JSON (default: its attributes), which execution
equivalence compares after the call along with the returned value.
"""

from __future__ import annotations

import asyncio
import contextvars
import inspect
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from types import ModuleType
from typing import Any, TypeVar

from ste.errors import ToolboxError
from ste.tools.tool import Tool

C = TypeVar("C", bound=type)
MARK = "__ste_stateful__"
NEW = "__ste_new__"  # worker calls: a fresh instance (from a state), and its snapshot
SNAPSHOT = "__ste_state__"


@dataclass(frozen=True)
class StatefulSpec:
    setup: str | None = None
    error_key: str | None = None
    snapshot: str | None = None


def stateful(
    cls: C | None = None,
    *,
    setup: str | None = None,
    error_key: str | None = None,
    snapshot: str | None = None,
) -> Any:
    """Mark a class as a stateful toolbox (usable bare, `@stateful`, or with options)."""

    def mark(target: C) -> C:
        for name in (setup, snapshot):
            if name is not None and not callable(getattr(target, name, None)):
                raise ToolboxError(f"@stateful: {target.__name__} has no method {name!r}")
        setattr(target, MARK, StatefulSpec(setup, error_key, snapshot))
        return target

    return mark(cls) if cls is not None else mark


def stateful_class(module: ModuleType) -> type | None:
    """The module's @stateful class (defined in it), if any; two are an error."""
    found = [
        value
        for value in vars(module).values()
        if inspect.isclass(value)
        and value.__module__ == module.__name__
        and isinstance(getattr(value, MARK, None), StatefulSpec)
    ]
    if len(found) > 1:
        names = ", ".join(c.__name__ for c in found)
        raise ToolboxError(f"{module.__name__}: one @stateful class per toolbox, found {names}")
    return found[0] if found else None


def spec_of(cls: type) -> StatefulSpec:
    return getattr(cls, MARK)


def method_names(cls: type) -> list[str]:
    spec = spec_of(cls)
    hidden = {spec.setup, spec.snapshot}
    return [
        name
        for name, value in vars(cls).items()
        if inspect.isfunction(value) and not name.startswith("_") and name not in hidden
    ]


def _instance(cls: type) -> Any:
    try:
        return cls()
    except Exception as error:  # noqa: BLE001 - the user's constructor, in one line
        raise ToolboxError(
            f"{cls.__name__}(): a stateful toolbox is created with no arguments; it failed: "
            f"{type(error).__name__}: {error}"
        ) from None


class Holder:
    """The current instance of a stateful class (in the worker process that runs it)."""

    def __init__(self, cls: type) -> None:
        self.cls = cls
        self.spec = spec_of(cls)
        self.obj = _instance(cls)

    def new(self, state: Any = None) -> None:
        self.obj = _instance(self.cls)
        if state is None:
            return
        if self.spec.setup is None:
            raise ValueError(
                f"{self.cls.__name__} was given a start state but names no setup method "
                "(@stateful(setup=...))"
            )
        getattr(self.obj, self.spec.setup)(state)

    def snapshot(self) -> Any:
        if self.spec.snapshot:
            return getattr(self.obj, self.spec.snapshot)()
        return json.loads(json.dumps(vars(self.obj), default=repr, sort_keys=True))

    def functions(self) -> dict[str, Callable[..., Any]]:
        """What a worker calls: each method on the current instance, and the two controls."""

        def method(name: str) -> Callable[..., Any]:
            return lambda **arguments: getattr(self.obj, name)(**arguments)

        calls = {name: method(name) for name in method_names(self.cls)}
        calls[NEW] = lambda state=None: self.new(state)
        calls[SNAPSHOT] = self.snapshot
        return calls


def class_tools(cls: type, source: str) -> list[Tool]:
    """A tool per public method (schemas from a prototype's bound methods); each call goes
    to the instance of the current `fresh_instance`, else to one shared default instance."""
    from ste.tools.python_source import tool_from_function

    prototype = _instance(cls)
    _ERROR_KEYS[source] = spec_of(cls).error_key
    tools = []
    for name in method_names(cls):
        tool = tool_from_function(getattr(prototype, name), name)
        tools.append(replace(tool, function=_caller(source, name), stateful=source))
    if not tools:
        raise ToolboxError(f"{cls.__name__}: a @stateful class needs public methods (its tools)")
    return tools


# -- sessions: one instance in one worker, per episode / per test item -------------------

_ERROR_KEYS: dict[str, str | None] = {}  # source -> its class's error_key
_CURRENT: contextvars.ContextVar[dict[str, Session]] = contextvars.ContextVar("ste_stateful")
_DEFAULT: dict[str, Session] = {}


class Session:
    """One fresh instance in a worker process of its own; its calls go one at a time."""

    def __init__(self, source: str, state: Any = None) -> None:
        from ste.tools.workers import SessionPool

        self.pool = SessionPool(source, state)
        self.error_key = _ERROR_KEYS.get(source)
        self._lock: asyncio.Lock | None = None

    async def call(self, name: str, arguments: dict[str, Any]) -> Any:
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            value = await self.pool.call(name, arguments)
        key = self.error_key
        if key and isinstance(value, dict) and key in value:  # an error returned as a value
            message = value[key] if isinstance(value[key], str) else json.dumps(value[key])
            raise ValueError(message or f"the tool returned {{{key!r}: ...}}")
        return value

    async def snapshot(self) -> Any:
        return await self.pool.call(SNAPSHOT, {})

    def close(self) -> None:
        self.pool.close()


def _session(source: str) -> Session:
    current = _CURRENT.get({})
    if source in current:
        return current[source]
    if source not in _DEFAULT:
        _DEFAULT[source] = Session(source)
    return _DEFAULT[source]


def _caller(source: str, name: str) -> Callable[..., Any]:
    async def call(**arguments: Any) -> Any:
        return await _session(source).call(name, arguments)

    call.__name__ = name
    return call


@asynccontextmanager
async def fresh_instance(tools: list[Tool], state: Any = None) -> AsyncIterator[dict[str, Session]]:
    """Within this block the stateful tools among `tools` share one new instance, started from
    `state`; it ends with the block. Tools without state are unaffected."""
    sources = {tool.stateful for tool in tools if tool.stateful}
    if not sources:
        yield {}
        return
    sessions = {source: Session(source, state) for source in sources}
    token = _CURRENT.set({**_CURRENT.get({}), **sessions})
    try:
        yield sessions
    finally:
        _CURRENT.reset(token)
        for session in sessions.values():
            session.close()


async def snapshot_of(tool: Tool) -> Any:
    """The state of the instance `tool` calls now (None for a tool without state)."""
    return await _session(tool.stateful).snapshot() if tool.stateful else None


async def replay(tool: Tool, calls: list[dict[str, Any]], timeout: float = 30.0) -> None:
    """Run calls that succeeded before, in order, so the current instance is where it was
    (a resumed episode, a re-checked call); their results are not needed again."""
    from ste.tools.execute import execute

    for arguments in calls:
        await execute(tool, arguments, timeout=timeout)


def succeeded_calls(steps: list[Any]) -> list[dict[str, Any]]:
    """The arguments of the steps whose call succeeded, in order."""
    return [s.call.arguments for s in steps if s.call is not None and s.tool_ok is True]


def load_start_states(path: str) -> list[Any]:
    """Exploration's start states: a JSON list in a file (each state one scenario)."""
    from pathlib import Path

    from ste.errors import SteError

    try:
        states = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SteError(f"--start-states {path}: cannot be read as JSON ({error})") from None
    if not isinstance(states, list) or not states:
        raise SteError(f"--start-states {path}: give a JSON list of states, one per scenario")
    return states
