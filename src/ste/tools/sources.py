"""One way to name a tool source, accepted wherever ste takes `[TOOLS]` or a benchmark folder.

* a `.py` file, a module name, or a folder holding `toolbox.py`: Python functions;
* a `.json` config in the `mcpServers` layout (and/or `openapiServices`, see
  `ste.tools.config`): MCP servers and OpenAPI services, together one toolbox;
* an OpenAPI 3.x document (`.json`, `.yaml`, or an http(s) URL);
* a benchmark folder holding `toolbox.py`, `mcp.json` or `openapi.json|yaml` beside
  `tests.jsonl`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from ste.errors import ToolboxError
from ste.tools.config import is_config, read_config
from ste.tools.tool import Tool

# What a benchmark folder may hold, in the order they are looked for.
FOLDER_SOURCES = ("toolbox.py", "mcp.json", "openapi.json", "openapi.yaml", "openapi.yml")


def in_folder(folder: Path) -> Path | None:
    """The tool source a benchmark folder holds, if any."""
    for name in FOLDER_SOURCES:
        if (folder / name).is_file():
            return folder / name
    return None


def _kind(source: str) -> tuple[str, str | Path]:
    """("python" | "config" | "openapi", what to load)."""
    if source.startswith(("http://", "https://")):
        return "openapi", source
    path = Path(source)
    if path.is_dir():
        found = in_folder(path)
        if found is None:
            raise ToolboxError(
                f"{path}: a tool folder holds one of {', '.join(FOLDER_SOURCES)}; found none"
            )
        path = found
    if path.suffix in (".yaml", ".yml"):
        return "openapi", path
    if path.suffix == ".json":
        if not path.is_file():
            raise ToolboxError(f"{path}: no such file")
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            return "config", path  # read_config names the problem and its line
        if isinstance(document, dict) and isinstance(document.get("openapi"), str):
            return "openapi", path
        if not is_config(document):
            raise ToolboxError(
                f'{path}: neither an MCP config (a JSON object with "mcpServers") nor an '
                'OpenAPI document (with "openapi": "3.x")'
            )
        return "config", path
    return "python", source


def _unique(groups: list[tuple[str, list[Tool]]]) -> list[Tool]:
    """Tools of several servers in one list: a name two servers share gets `SERVER_`."""
    counts: dict[str, int] = {}
    for _, tools in groups:
        for tool in tools:
            counts[tool.name] = counts.get(tool.name, 0) + 1
    out = []
    for server, tools in groups:
        for tool in tools:
            clash = counts[tool.name] > 1
            out.append(replace(tool, name=f"{server}_{tool.name}") if clash else tool)
    return out


def _from_config(path: Path) -> list[Tool]:
    from ste.tools.mcp_source import mcp_tools
    from ste.tools.openapi_source import openapi_tools

    config = read_config(path)
    groups: list[tuple[str, list[Tool]]] = []
    for name, server in config.mcp_servers.items():
        groups.append((name, mcp_tools(name, server, f"{path}: mcpServers.{name}")))
    for name, service in config.openapi_services.items():
        spec = service.spec
        if not spec.startswith(("http://", "https://")) and not Path(spec).is_absolute():
            spec = str((path.parent / spec).resolve())
        service = service.model_copy(update={"spec": spec})
        groups.append((name, openapi_tools(name, service, f"{path}: openapiServices.{name}")))
    return _unique(groups)


def load_tools(source: str | Path | None = None) -> list[Tool]:
    """The tools a source names (default: the bundled Python tools)."""
    from ste.tools.python_source import load_python_tools

    if source is None:
        return load_python_tools(None)
    kind, target = _kind(str(source))
    if kind == "config":
        return _from_config(Path(target))
    if kind == "openapi":
        from ste.tools.config import OpenApiService
        from ste.tools.openapi_source import openapi_tools

        name = "api" if isinstance(target, str) else Path(target).stem
        return openapi_tools(name, OpenApiService(spec=str(target)), str(target))
    return load_python_tools(target)


def spec_of(source: str | None) -> str | None:
    """The source as a run directory records it: an absolute path where it is a path."""
    if source is None or source.startswith(("http://", "https://")):
        return source
    path = Path(source)
    return str(path.resolve()) if path.exists() else source
