"""A small MCP server for the tests, written with the official SDK (MCPServer).

A notebook of records in a JSON file ($NOTES_FILE): `read_note` (read-only), `delete_note`
(destructive: it really removes the record from the file), `fail` (reports an error), `hang`
(never answers), `crash` (the process exits). Run over stdio by default, or streamable HTTP
with `--http PORT`.
"""

import json
import os
import sys
import time
from pathlib import Path

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations

server = MCPServer("notes")
FILE = Path(os.environ.get("NOTES_FILE", "notes.json"))


def _notes() -> dict:
    return json.loads(FILE.read_text()) if FILE.exists() else {}


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def read_note(key: str) -> str:
    """Read the note stored under a key (keys are lower-case words)."""
    notes = _notes()
    if key not in notes:
        raise ToolError(f"no note under {key!r}; the keys are: {', '.join(sorted(notes))}")
    return notes[key]


@server.tool(annotations=ToolAnnotations(read_only_hint=False, destructive_hint=True))
def delete_note(key: str) -> str:
    """Delete the note stored under a key, for good."""
    notes = _notes()
    notes.pop(key, None)
    FILE.write_text(json.dumps(notes))
    return f"deleted {key}"


@server.tool()
def fail(reason: str) -> str:
    """Always fails, saying why."""
    raise ToolError(f"refused: {reason}")


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def hang(seconds: float = 3600) -> str:
    """Answers after a very long time."""
    time.sleep(seconds)
    return "late"


@server.tool(annotations=ToolAnnotations(read_only_hint=True))
def crash() -> str:
    """The server process exits in the middle of the call."""
    print("crashing on purpose", file=sys.stderr, flush=True)
    os._exit(3)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--http":
        server.run("streamable-http", host="127.0.0.1", port=int(sys.argv[2]))
    else:
        print("notes server ready", file=sys.stderr, flush=True)
        server.run()
