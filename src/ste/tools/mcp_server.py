"""Any toolbox ste can load, served as an MCP server (`ste mcp-serve`).

Calls go through `ste.tools.execute` as in every other stage: arguments validated against
the schema, Python tools in worker processes, a timeout, results truncated. Each tool is
listed with `readOnlyHint` / `destructiveHint` from its effect class. This is how a Python
toolbox reaches MCP clients, and how ste's own MCP client is tested end to end.
"""

from __future__ import annotations

from typing import Any

from ste.tools.execute import DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_S, execute
from ste.tools.tool import Tool


def annotations(tool: Tool) -> Any:
    from mcp_types import ToolAnnotations

    if tool.effect == "read_only":
        return ToolAnnotations(read_only_hint=True, destructive_hint=False)
    if tool.effect == "side_effecting":
        return ToolAnnotations(read_only_hint=False, destructive_hint=True)
    return None  # unknown: say nothing rather than guess


def build_server(
    tools: list[Tool],
    *,
    name: str = "ste",
    timeout: float = DEFAULT_TIMEOUT_S,
    max_chars: int = DEFAULT_MAX_CHARS,
) -> Any:
    """A low-level MCP `Server` listing `tools` and calling them through `execute`."""
    import mcp_types as types
    from mcp.server.lowlevel import Server

    from ste import __version__

    by_name = {tool.name: tool for tool in tools}
    listed = [
        types.Tool(
            name=tool.name,
            description=tool.description,
            input_schema=tool.parameters,
            annotations=annotations(tool),
        )
        for tool in tools
    ]

    async def list_tools(_ctx: Any, _params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=listed)

    async def call_tool(_ctx: Any, params: Any) -> types.CallToolResult:
        tool = by_name.get(params.name)
        if tool is None:
            text = f"Error: no tool named {params.name!r}; the tools are: {', '.join(by_name)}"
            return types.CallToolResult(content=[types.TextContent(text=text)], is_error=True)
        result = await execute(tool, params.arguments or {}, timeout=timeout, max_chars=max_chars)
        content = [types.TextContent(text=result.observation)]
        if not result.ok:
            return types.CallToolResult(content=content, is_error=True)
        structured = (
            result.value if isinstance(result.value, dict) and not result.truncated else None
        )
        return types.CallToolResult(content=content, structured_content=structured)

    return Server(name, version=__version__, on_list_tools=list_tools, on_call_tool=call_tool)


async def serve_stdio(server: Any) -> None:
    from mcp.server.stdio import stdio_server

    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve_http(server: Any, host: str, port: int) -> None:
    """Streamable HTTP at http://HOST:PORT/mcp (uvicorn)."""
    import uvicorn

    app = server.streamable_http_app(host=host)
    uvicorn.run(app, host=host, port=port, log_level="warning")
