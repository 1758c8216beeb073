"""Run a tool call safely: validate, call with a timeout, serialise, truncate.

Whatever the model asks for and whatever the tool does, `execute` returns a `ToolResult`
whose `observation` is the text shown to the model. It never raises and never waits longer
than the timeout. Tools loaded from a toolbox run in worker processes (`ste.tools.workers`:
a timeout kills the worker, a dying worker is an observation); tools given as functions in
this process run on a daemon thread, so even one that never returns cannot hang the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal

import jsonschema

from ste.prompts import render
from ste.tools.effects import NotExecuted
from ste.tools.tool import Tool
from ste.tools.workers import WorkerFault

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_MAX_CHARS = 2048  # the paper truncates observations at 2048 characters

ErrorKind = Literal["invalid_arguments", "tool_error", "timeout", "unserialisable", "not_executed"]


@dataclass
class ToolResult:
    """What happened when a tool was called. `value` is the raw return value when ok."""

    observation: str
    ok: bool
    error_kind: ErrorKind | None = None
    value: Any = None
    truncated: bool = False
    seconds: float = 0.0


def validation_errors(tool: Tool, arguments: Any) -> list[str]:
    """Every way `arguments` violates the tool's schema, as readable sentences."""
    if not isinstance(arguments, dict):
        return [f"arguments must be a JSON object, got {type(arguments).__name__}"]
    validator = jsonschema.Draft202012Validator(tool.parameters)
    messages = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.path)):
        where = "/".join(str(p) for p in error.path)
        message = f"'{where}': {error.message}" if where else error.message
        names = list(tool.parameters.get("properties", {}))
        if error.validator == "type" and (typed := retyped(error.instance, error.validator_value)):
            # '30' for 30: a small model that reads only "is not of type" passes it again
            message += " " + render("observation_without_quotes", value=json.dumps(typed[0]))
        if error.validator == "required" and isinstance(error.instance, dict):
            # what the missing one is: a small model told only "'to_tz' is a required
            # property" made the same call again (a dev exploration lost a tool's trials so)
            properties = tool.parameters.get("properties", {})
            for name in error.validator_value:
                described = str(properties.get(name, {}).get("description", "")).strip()
                if described and name not in error.instance and repr(name) in error.message:
                    message += " " + render(
                        "observation_required", name=name, description=described
                    )
        if error.validator == "additionalProperties" and not where and names:
            # a small model passes fields of the result it wants as arguments: name the ones
            # the tool takes (a dev exploration lost 6 trials of a country tool so)
            message += " " + render("observation_parameters", names=", ".join(names))
        messages.append(message)
    return messages


def retyped(value: Any, types: Any) -> tuple[Any] | None:
    """`value`, a string, as the JSON value of one of the schema's `types` that it writes
    ('30' -> 30 for "integer", 'true' -> true for "boolean"), in a 1-tuple; None when it
    is no string or writes none of them."""
    if not isinstance(value, str):
        return None
    wanted = [types] if isinstance(types, str) else list(types or [])
    text = value.strip()
    if "boolean" in wanted and text.casefold() in ("true", "false"):
        return (text.casefold() == "true",)
    try:
        number = json.loads(text)
    except ValueError:
        return None
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    if not math.isfinite(number):
        return None
    if "integer" in wanted and (isinstance(number, int) or number.is_integer()):
        return (int(number),)
    if "number" in wanted:
        return (number,)
    return None


def retyped_arguments(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any] | None:
    """`arguments` with each string its parameter's schema wants as a number or a boolean
    written as one (`retyped`); None where no argument changes."""
    properties = schema.get("properties", {})
    out = dict(arguments)
    for name, value in arguments.items():
        types = properties.get(name, {}).get("type") if isinstance(properties, dict) else None
        takes_text = "string" in (types if isinstance(types, list) else [types])
        if types and not takes_text and (typed := retyped(value, types)) is not None:
            out[name] = typed[0]
    return out if out != arguments else None


def coerce_integers(schema: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Turn 3.0 into 3 where the schema asks for an integer (JSON does not tell them apart)."""
    properties = schema.get("properties", {})
    out = dict(arguments)
    for name, value in arguments.items():
        prop = properties.get(name, {})
        types = prop.get("type")
        wants_int = types == "integer" or (isinstance(types, list) and "integer" in types)
        if wants_int and isinstance(value, float) and value.is_integer():
            out[name] = int(value)
    return out


def serialise(value: Any) -> str:
    """A tool result as the text the model reads: strings as they are, the rest as strict
    JSON (no NaN/Infinity; too deep a value or too long an integer raises ValueError)."""
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except RecursionError:
        raise ValueError("it is nested too deeply") from None


def truncate(text: str, max_chars: int) -> tuple[str, bool]:
    if max_chars <= 0 or len(text) <= max_chars:
        return text, False
    hidden = len(text) - max_chars
    return render("observation_truncated", text=text[:max_chars], hidden=str(hidden)), True


def describe_exception(error: BaseException) -> str:
    """A ValueError's text verbatim (tools use it as their error body); others get their type."""
    if isinstance(error, ValueError) and str(error):
        return render("observation_error", message=str(error))
    text = str(error) or "(no message)"
    return render("observation_error", message=f"{type(error).__name__}: {text}")


async def _call_sync_on_daemon_thread(function: Any, arguments: dict[str, Any]) -> Any:
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(setter: Any, payload: Any) -> None:
        if not future.done():
            setter(payload)

    def deliver(setter: Any, payload: Any) -> None:
        # RuntimeError: the event loop is gone (the call timed out and its caller finished)
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(settle, setter, payload)

    def target() -> None:
        try:
            value = function(**arguments)
        except BaseException as error:  # noqa: BLE001 - every failure becomes an observation
            if not isinstance(error, Exception):  # SystemExit & co. must not leave the thread
                error = RuntimeError(f"the tool raised {type(error).__name__}: {error}")
            deliver(future.set_exception, error)
        else:
            deliver(future.set_result, value)

    threading.Thread(target=target, name="ste-tool", daemon=True).start()
    return await future


async def execute(
    tool: Tool,
    arguments: Any,
    *,
    timeout: float = DEFAULT_TIMEOUT_S,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> ToolResult:
    """Validate `arguments` against the tool's schema, call it, and describe the outcome."""
    started = time.perf_counter()

    def result(observation: str, **kwargs: Any) -> ToolResult:
        text, truncated = truncate(observation, max_chars)
        return ToolResult(
            text, truncated=truncated, seconds=time.perf_counter() - started, **kwargs
        )

    problems = validation_errors(tool, arguments)
    if problems:
        listed = "; ".join(problems)
        message = render("observation_invalid_arguments", tool=tool.name, problems=listed)
        return result(message, ok=False, error_kind="invalid_arguments")
    arguments = coerce_integers(tool.parameters, arguments)

    try:
        if inspect.iscoroutinefunction(tool.function):
            call = tool.function(**arguments)
        else:
            call = _call_sync_on_daemon_thread(tool.function, arguments)
        value = await asyncio.wait_for(call, timeout=timeout)
    except TimeoutError:
        message = render("observation_timeout", tool=tool.name, seconds=f"{timeout:g}")
        return result(message, ok=False, error_kind="timeout")
    except NotExecuted:
        message = render("observation_not_executed", tool=tool.name)
        return result(message, ok=False, error_kind="not_executed")
    except WorkerFault as fault:
        return result(fault.observation, ok=False, error_kind=fault.kind)  # type: ignore[arg-type]
    except (Exception, SystemExit) as error:  # noqa: BLE001 - a tool never crashes the caller
        return result(describe_exception(error), ok=False, error_kind="tool_error")

    try:
        text = serialise(value)
    except (TypeError, ValueError) as error:
        message = render("observation_unserialisable", tool=tool.name, error=str(error))
        return result(message, ok=False, error_kind="unserialisable")
    return result(text, ok=True, value=value)
