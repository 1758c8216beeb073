"""`ste mcp-serve`: any toolbox ste can load, as an MCP server."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ste.cli.app import ToolsArgument, ToolTimeoutOption, app, errors, user_errors
from ste.errors import SteError


@app.command("mcp-serve")
@user_errors
def mcp_serve(
    toolbox: ToolsArgument = None,
    http: Annotated[
        bool, typer.Option(help="Serve streamable HTTP at http://HOST:PORT/mcp, not stdio.")
    ] = False,
    host: Annotated[str, typer.Option(help="With --http (127.0.0.1: this machine only).")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(min=1, max=65535, help="With --http.")] = 8765,
    notes: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: add its tool notes to the descriptions."),
    ] = None,
    tool_timeout: ToolTimeoutOption = None,
) -> None:
    """Serve the tools over MCP (stdio by default), annotated read-only or destructive.

    Any MCP client (an IDE, an agent, `ste explore` itself) can then call them: arguments are
    validated, Python tools run in worker processes, each call has a timeout.
    """
    from ste.tools import load_tools
    from ste.tools.execute import DEFAULT_TIMEOUT_S
    from ste.tools.mcp_server import build_server, serve_http, serve_stdio

    tools = load_tools(toolbox)
    if notes is not None:
        from ste.distill.notes import load_notes, with_notes

        tools = with_notes(tools, load_notes(notes))
    if http and host not in ("127.0.0.1", "localhost", "::1"):
        errors.print(f"warning: serving on {host}: other machines can call these tools")
    server = build_server(tools, timeout=tool_timeout or DEFAULT_TIMEOUT_S)
    # stdout is the protocol's channel: everything for people goes to stderr
    where = f"http://{host}:{port}/mcp" if http else "stdio"
    errors.print(f"ste mcp-serve: {len(tools)} tool(s) on {where}", highlight=False)
    try:
        if http:
            serve_http(server, host, port)
        else:
            asyncio.run(serve_stdio(server))
    except OSError as error:
        raise SteError(f"cannot serve on {where}: {error}") from None
    except KeyboardInterrupt:
        pass
