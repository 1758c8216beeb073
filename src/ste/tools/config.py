"""A tool-source config file: the `mcpServers` layout MCP clients use, plus OpenAPI services.

    {
      "mcpServers": {
        "time": {"command": "uvx", "args": ["mcp-server-time"], "env": {"TZ": "UTC"}},
        "remote": {"url": "http://127.0.0.1:8000/mcp",
                   "headers": {"Authorization": "Bearer ${TOKEN}"}}
      },
      "openapiServices": {
        "shop": {"spec": "openapi.yaml", "base_url": "http://127.0.0.1:9000",
                 "headers": {"X-Api-Key": "${SHOP_KEY}"}}
      }
    }

Every server and service in one file forms one toolbox. `${NAME}` in `env`, `headers` and
URLs is read from the environment when the server starts; the config file is what run
directories record, so the values never reach run files, logs or exports.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ste.errors import ToolboxError

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


class StdioServer(BaseModel):
    """An MCP server ste starts as a subprocess and talks to over stdin/stdout."""

    model_config = ConfigDict(extra="forbid")
    command: str = Field(min_length=1)
    args: list[str] = []
    env: dict[str, str] = {}
    cwd: str | None = None


class HttpServer(BaseModel):
    """An MCP server already running, reached over streamable HTTP."""

    model_config = ConfigDict(extra="forbid")
    url: str = Field(pattern=r"^https?://")
    headers: dict[str, str] = {}


class OpenApiService(BaseModel):
    """An HTTP API described by an OpenAPI 3.x document (a path, relative to the config
    file, or an http(s) URL); `base_url` overrides the document's `servers`."""

    model_config = ConfigDict(extra="forbid")
    spec: str = Field(min_length=1)
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    headers: dict[str, str] = {}
    timeout: float = Field(default=30.0, gt=0)


class ToolsConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    mcp_servers: dict[str, StdioServer | HttpServer] = Field(default={}, alias="mcpServers")
    openapi_services: dict[str, OpenApiService] = Field(default={}, alias="openapiServices")


def is_config(document: Any) -> bool:
    """Whether a parsed JSON document is a tool-source config (not an OpenAPI document)."""
    keys = ("mcpServers", "openapiServices")
    return isinstance(document, dict) and any(key in document for key in keys)


def read_config(path: Path) -> ToolsConfig:
    """Read and check a config file; every problem names the file and the field."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise ToolboxError(f"{path}: cannot be read ({error})") from None
    except json.JSONDecodeError as error:
        raise ToolboxError(
            f"{path}:{error.lineno}: not valid JSON ({error.msg}); an MCP config looks like "
            '{"mcpServers": {"NAME": {"command": "...", "args": [...]}}}'
        ) from None
    if not is_config(document):
        raise ToolboxError(
            f'{path}: a tool config holds "mcpServers" and/or "openapiServices"; found neither'
        )
    try:
        config = ToolsConfig.model_validate(document)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first["loc"] if p not in ("StdioServer", "HttpServer"))
        raise ToolboxError(
            f'{path}: {where}: {first["msg"]}; a stdio server has "command" (and optional '
            '"args", "env", "cwd"), an HTTP server "url" (and optional "headers")'
        ) from None
    if not config.mcp_servers and not config.openapi_services:
        raise ToolboxError(f"{path}: names no MCP server and no OpenAPI service")
    return config


def expand(value: str, where: str) -> str:
    """`${NAME}` replaced by the environment variable NAME; an unset one is an error."""

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise ToolboxError(f"{where}: environment variable {name} is not set")
        return os.environ[name]

    return _VARIABLE.sub(lookup, value)


def expand_all(values: dict[str, str], where: str) -> dict[str, str]:
    return {key: expand(value, f"{where}.{key}") for key, value in values.items()}


def secrets_in(values: dict[str, str]) -> list[str]:
    """The environment values the templates name (kept out of observations and logs)."""
    names = {name for value in values.values() for name in _VARIABLE.findall(value)}
    return [os.environ[name] for name in sorted(names) if os.environ.get(name)]
