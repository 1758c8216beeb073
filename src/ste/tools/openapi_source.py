"""Tools from an HTTP API described by an OpenAPI 3.x document.

Each operation becomes a tool: its name from `operationId` (else method and path), its
path, query and header parameters and a JSON request body merged into one JSON Schema
(`$ref`s resolved by `jsonref`, the document checked by `openapi-spec-validator`). A call is
an `httpx` request; a non-2xx answer is an error observation with the status and the start
of the body. Header values from the config's `${NAME}` variables never reach observations.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import httpx

from ste.errors import ToolboxError
from ste.tools.config import OpenApiService, expand, expand_all, secrets_in
from ste.tools.tool import Tool

METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
READ_ONLY_METHODS = ("get", "head", "options")
MAX_SPEC_BYTES = 16 * 1024 * 1024
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
ERROR_BODY_CHARS = 1000


def read_document(spec: str) -> dict[str, Any]:
    """The OpenAPI document at a path or URL, parsed (JSON or YAML)."""
    import yaml

    try:
        if spec.startswith(("http://", "https://")):
            response = httpx.get(spec, timeout=30, follow_redirects=True)
            response.raise_for_status()
            if len(response.content) > MAX_SPEC_BYTES:
                raise ToolboxError(f"{spec}: the document is over {MAX_SPEC_BYTES >> 20} MB")
            text = response.text
        else:
            text = Path(spec).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError, httpx.HTTPError) as error:
        raise ToolboxError(f"{spec}: the OpenAPI document cannot be read ({error})") from None
    try:
        document = yaml.safe_load(text)  # JSON is YAML
    except yaml.YAMLError as error:
        raise ToolboxError(f"{spec}: not valid JSON or YAML ({error})".replace("\n", " ")) from None
    if not isinstance(document, dict) or not str(document.get("openapi", "")).startswith("3"):
        raise ToolboxError(
            f'{spec}: not an OpenAPI 3.x document (it needs "openapi": "3.x" at the top)'
        )
    return document


def validated(document: dict[str, Any], spec: str) -> dict[str, Any]:
    """The document checked against the OpenAPI schema, with every `$ref` resolved."""
    import jsonref
    from openapi_spec_validator import validate
    from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

    try:
        validate(document)
    except OpenAPIValidationError as error:
        where = "/".join(str(p) for p in getattr(error, "path", [])) or "the document"
        message = getattr(error, "message", str(error)).split("\n")[0]
        raise ToolboxError(f"{spec}: invalid OpenAPI document at {where}: {message}") from None
    try:
        return jsonref.replace_refs(document, proxies=False, lazy_load=False)
    except (jsonref.JsonRefError, RecursionError) as error:
        raise ToolboxError(f"{spec}: a $ref cannot be resolved ({error})") from None


def tool_name(operation: dict[str, Any], method: str, path: str) -> str:
    raw = operation.get("operationId") or f"{method}_{path}"
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", raw).strip("_")
    return name[:64] or method


@dataclass(frozen=True)
class Operation:
    """Where each argument of one tool goes in the HTTP request."""

    method: str
    path: str
    places: dict[str, str]  # argument -> "path" | "query" | "header" | "cookie" | "field" | "body"


def _schema_of(
    operation: dict[str, Any], inherited: list[dict[str, Any]], configured: set[str]
) -> tuple[dict, dict]:
    """One JSON Schema for an operation's parameters and JSON body, and where each goes;
    headers the config sets (credentials) are not the model's to choose."""
    properties: dict[str, Any] = {}
    required: list[str] = []
    places: dict[str, str] = {}
    merged = {(p["name"], p["in"]): p for p in inherited}
    merged.update({(p["name"], p["in"]): p for p in operation.get("parameters", [])})
    for (name, where), parameter in merged.items():
        if where == "header" and name.lower() in configured:
            continue
        schema = dict(parameter.get("schema") or {})
        if parameter.get("description"):
            schema.setdefault("description", " ".join(parameter["description"].split()))
        properties[name] = schema
        places[name] = where
        if parameter.get("required") or where == "path":
            required.append(name)
    body = operation.get("requestBody") or {}
    content = body.get("content", {})
    json_type = next((t for t in content if "json" in t), None)
    if json_type is not None:
        schema = dict(content[json_type].get("schema") or {})
        fields = schema.get("properties")
        if schema.get("type", "object") == "object" and fields and not set(fields) & set(places):
            for name, field_schema in fields.items():
                properties[name] = field_schema
                places[name] = "field"
            if body.get("required"):
                required.extend(n for n in schema.get("required", []) if n in fields)
        else:
            properties["body"] = schema
            places["body"] = "body"
            if body.get("required"):
                required.append("body")
    parameters: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        parameters["required"] = sorted(set(required), key=required.index)
    return parameters, places


def _base_url(document: dict[str, Any], service: OpenApiService, where: str) -> str:
    if service.base_url:
        return expand(service.base_url, where)
    servers = document.get("servers") or []
    url = servers[0].get("url", "") if servers else ""
    if service.spec.startswith(("http://", "https://")):
        return urljoin(service.spec, url or "/")
    if url.startswith(("http://", "https://")):
        return url
    raise ToolboxError(
        f"{where}: the document names no absolute server URL (servers: {url or 'none'}); give "
        'one in a tool config: {"openapiServices": {"NAME": {"spec": ..., "base_url": ...}}}'
    )


def _redact(text: str, secrets: list[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "***")
    return text


def _caller(
    operation: Operation, base_url: str, service: OpenApiService, where: str
) -> Callable[..., Any]:
    async def call(**arguments: Any) -> Any:
        headers = expand_all(service.headers, f"{where}.headers")
        secrets = secrets_in(service.headers)
        path = operation.path
        query: dict[str, Any] = {}
        cookies: dict[str, str] = {}
        fields: dict[str, Any] = {}
        body: Any = None
        for name, value in arguments.items():
            place = operation.places.get(name)
            text = value if isinstance(value, str) else json.dumps(value)
            if place == "path":
                path = path.replace("{" + name + "}", quote(str(text), safe=""))
            elif place == "query":
                query[name] = text if not isinstance(value, bool) else str(value).lower()
            elif place == "header":
                headers[name] = str(text)
            elif place == "cookie":
                cookies[name] = str(text)
            elif place == "field":
                fields[name] = value
            elif place == "body":
                body = value
        if fields:
            body = fields
        url = base_url.rstrip("/") + path
        async with (
            httpx.AsyncClient(timeout=service.timeout, cookies=cookies) as client,
            client.stream(
                operation.method.upper(), url, params=query, headers=headers, json=body
            ) as response,
        ):
            data = b""
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > MAX_RESPONSE_BYTES:
                    raise ValueError(f"the answer is over {MAX_RESPONSE_BYTES >> 20} MB")
        # a credential the service echoes back never reaches the model or the run files
        text = _redact(data.decode(response.encoding or "utf-8", errors="replace"), secrets)
        if not 200 <= response.status_code < 300:
            raise ValueError(f"HTTP {response.status_code}: {text[:ERROR_BODY_CHARS]}")
        if "json" in response.headers.get("content-type", ""):
            try:
                return json.loads(text)
            except json.JSONDecodeError:
                pass
        return text

    return call


def openapi_tools(name: str, service: OpenApiService, where: str) -> list[Tool]:
    """A tool for each operation of the service's document."""
    document = validated(read_document(service.spec), service.spec)
    base_url = _base_url(document, service, where)
    tools = []
    for path, item in (document.get("paths") or {}).items():
        inherited = item.get("parameters", [])
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            configured = {header.lower() for header in service.headers}
            parameters, places = _schema_of(operation, inherited, configured)
            summary = operation.get("description") or operation.get("summary") or ""
            description = " ".join(summary.split()) or f"{method.upper()} {path}"
            read_only = method in READ_ONLY_METHODS
            tools.append(
                Tool(
                    name=tool_name(operation, method, path),
                    description=description,
                    parameters=parameters,
                    function=_caller(Operation(method, path, places), base_url, service, where),
                    source=f"openapi:{name}",
                    effect="read_only" if read_only else "side_effecting",
                    effect_from=f"HTTP {method.upper()}",
                )
            )
    if not tools:
        raise ToolboxError(f"{where}: the OpenAPI document has no operations under paths")
    names = [t.name for t in tools]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ToolboxError(f"{where}: two operations become the tool {clashes[0]}")
    if urlsplit(base_url).scheme not in ("http", "https"):
        raise ToolboxError(f"{where}: server URL {base_url!r} is not http(s)")
    return tools
