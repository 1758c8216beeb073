"""Tools from Python: every public top-level function of a module is one tool.

The rules are those of shared/bench/FORMAT.md: the function's name is the tool name, the
docstring's first paragraph its description, the type hints and the Google-style `Args:`
section give the JSON Schema of its parameters, and a default makes a parameter optional.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import json
import re
import sys
import typing
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import docstring_parser

from ste.errors import ToolboxError
from ste.tools.effects import python_effect
from ste.tools.schema import UnsupportedType, type_to_schema
from ste.tools.stateful import Holder, class_tools, stateful_class
from ste.tools.tool import Tool

BUNDLED_TOOLBOX = Path(__file__).parent / "bundled" / "toolbox.py"
# The demo benchmark for the bundled tools: `ste eval` runs it when given no TESTS.
BUNDLED_TESTS = Path(__file__).parent / "bundled" / "tests.jsonl"

_SECTION = re.compile(
    r"^\s*(Args|Arguments|Parameters|Returns|Return|Yields|Raises|Examples?|Notes?|Attributes):\s*$",
    re.MULTILINE,
)


def describe(function: Callable[..., Any]) -> str:
    """The docstring's first paragraph, on one line (stops early at a section header)."""
    doc = inspect.getdoc(function) or ""
    doc = _SECTION.split(doc, maxsplit=1)[0]
    first = doc.strip().split("\n\n", 1)[0]
    return " ".join(first.split())


def _where(function: Callable[..., Any]) -> str:
    code = function.__code__
    return f"{code.co_filename}:{code.co_firstlineno}"


def tool_from_function(function: Callable[..., Any], name: str | None = None) -> Tool:
    """Build a Tool from a type-hinted, documented function."""
    name = name or function.__name__
    where = f"{_where(function)}: function {name}"
    signature = inspect.signature(function)
    try:
        hints = typing.get_type_hints(function, include_extras=True)
    except Exception as error:  # noqa: BLE001 - a broken annotation is the user's to fix
        raise ToolboxError(f"{where}: its type hints cannot be resolved ({error})") from None

    parsed = docstring_parser.parse(inspect.getdoc(function) or "")
    arg_docs = {p.arg_name: " ".join((p.description or "").split()) for p in parsed.params}

    properties: dict[str, Any] = {}
    required: list[str] = []
    for parameter in signature.parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            raise ToolboxError(
                f"{where}: *{parameter.name} / **{parameter.name} cannot become tool "
                "parameters; list each parameter by name"
            )
        if parameter.kind is parameter.POSITIONAL_ONLY:
            raise ToolboxError(
                f"{where}: parameter '{parameter.name}' is positional-only; tools are called "
                "with keyword arguments"
            )
        if parameter.name not in hints:
            raise ToolboxError(
                f"{where}: parameter '{parameter.name}' has no type hint; every parameter "
                f"needs one (e.g. `{parameter.name}: str`)"
            )
        try:
            schema = type_to_schema(hints[parameter.name])
        except UnsupportedType as error:
            raise ToolboxError(
                f"{where}: parameter '{parameter.name}': {error}; use str, int, float, bool, "
                "Literal[...], list[...], dict[str, ...] or Optional[...]"
            ) from None
        if arg_docs.get(parameter.name):
            schema["description"] = arg_docs[parameter.name]
        if parameter.default is parameter.empty:
            required.append(parameter.name)
        elif _is_json(parameter.default):
            schema["default"] = parameter.default
        properties[parameter.name] = schema

    description = describe(function)
    if not description:
        raise ToolboxError(
            f"{where}: has no docstring; its first paragraph is the tool's description the "
            "model reads"
        )
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = required
    parameters["additionalProperties"] = False
    effect, effect_from = python_effect(function)
    return Tool(
        name=name,
        description=description,
        parameters=parameters,
        function=function,
        effect=effect,
        effect_from=effect_from,
    )


def _is_json(value: Any) -> bool:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return False
    return True


def _import_file(path: Path) -> ModuleType:
    digest = hashlib.sha1(str(path.resolve()).encode()).hexdigest()[:12]
    module_name = f"ste_toolbox_{path.stem}_{digest}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ToolboxError(f"{path}: cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look modules up here
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[module_name]
        raise ToolboxError(f"{error.filename}:{error.lineno}: syntax error: {error.msg}") from None
    except Exception as error:  # noqa: BLE001 - report any import-time failure in one line
        del sys.modules[module_name]
        raise ToolboxError(
            f"{path}: importing it failed: {type(error).__name__}: {error}"
        ) from None
    return module


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except SyntaxError as error:
        raise ToolboxError(f"{error.filename}:{error.lineno}: syntax error: {error.msg}") from None
    except ModuleNotFoundError as error:
        raise ToolboxError(
            f"toolbox '{name}' is neither a Python file nor an importable module "
            f"({error}); give a path to a .py file or a module name such as 'mypkg.tools'"
        ) from None
    except Exception as error:  # noqa: BLE001
        raise ToolboxError(
            f"{name}: importing it failed: {type(error).__name__}: {error}"
        ) from None


def tools_from_module(module: ModuleType) -> list[Tool]:
    """The module's public functions defined in it (not imported), in definition order."""
    functions = [
        value
        for key, value in vars(module).items()
        if inspect.isfunction(value)
        and not key.startswith("_")
        and value.__module__ == module.__name__
    ]
    return [tool_from_function(f) for f in functions]


def _module_of(source: str | Path) -> tuple[ModuleType, str]:
    path = Path(source)
    if path.suffix == ".py" or path.exists():
        if path.is_dir() and (path / "toolbox.py").exists():
            path = path / "toolbox.py"  # a benchmark folder
        if not path.is_file():
            raise ToolboxError(f"{path}: no such toolbox file")
        return _import_file(path), str(path.resolve())
    return _import_module(str(source)), str(source)


def python_functions(source: str | Path) -> dict[str, Callable[..., Any]]:
    """The toolbox's tools as plain functions by name (what a worker process calls); a
    stateful class's methods go to one instance, renewed by the `NEW` call."""
    module, _ = _module_of(source)
    functions = {tool.name: tool.function for tool in tools_from_module(module)}
    cls = stateful_class(module)
    if cls is not None:
        functions.update(Holder(cls).functions())
    return functions


def load_python_tools(source: str | Path | None = None, *, isolated: bool = True) -> list[Tool]:
    """Load tools from a .py file path or an importable module name (default: bundled tools).

    With `isolated` (the default) each call runs in a worker process (`ste.tools.workers`),
    so a tool that exits, crashes, spins or exhausts memory becomes an observation; without
    it, tools are called in this process (faster by about a millisecond, unprotected).
    """
    if source is None:
        source = BUNDLED_TOOLBOX
    module, label = _module_of(source)
    tools = tools_from_module(module)
    cls = stateful_class(module)
    if not tools and cls is None:
        raise ToolboxError(
            f"{label}: defines no public functions; every top-level function whose name does "
            "not start with '_' becomes a tool (or the methods of a @stateful class)"
        )
    if cls is not None and not isolated:
        raise ToolboxError(f"{label}: a stateful toolbox runs in worker processes only")
    if not isolated:
        return tools
    from ste.tools.workers import WorkerPool

    pool = WorkerPool(label)
    functions = [replace(tool, function=pool.bound(tool.name)) for tool in tools]
    return functions + (class_tools(cls, label) if cls is not None else [])
