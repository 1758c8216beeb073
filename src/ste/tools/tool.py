"""The one tool type every source (Python, MCP, OpenAPI) produces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

# What calling a tool may do to the world: `read_only` tools run freely; `side_effecting`
# and `unknown` ones run only where the user allows it (see `ste.tools.effects`).
Effect = Literal["read_only", "side_effecting", "unknown"]


@dataclass(frozen=True)
class Tool:
    """A callable the model can use: a name, what it does, and the JSON Schema of its arguments.

    `function` is called with the validated arguments as keyword arguments; it may be a plain
    function or a coroutine function. `source` names where the tool comes from ("python",
    "mcp:NAME", "openapi:NAME"); `effect` is its effect class and `effect_from` what told us
    ("unmarked", "@side_effecting", "readOnlyHint", "HTTP GET", ...). A method of a stateful
    toolbox (`ste.tools.stateful`) names its source in `stateful`.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]
    source: str = "python"
    effect: Effect = "unknown"
    effect_from: str = "unmarked"
    stateful: str | None = None  # a stateful toolbox's source: calls go to its current instance

    @property
    def runs_by_default(self) -> bool:
        """Whether a call runs without `--allow-side-effects`: read-only tools, and Python
        functions nobody marked (the user wrote and chose them)."""
        if self.effect == "read_only":
            return True
        return self.source == "python" and self.effect_from == "unmarked"

    def openai_spec(self) -> dict[str, Any]:
        """The tool in the OpenAI `tools=[...]` layout (also understood by chat templates)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": self.parameters,
            },
        }


def described_tool(spec: dict[str, Any]) -> Tool:
    """A tool known only from its description (a run's manifest): its schema can be checked,
    but it cannot be called."""
    name = spec["name"]

    def unavailable(**_arguments: Any) -> Any:
        raise RuntimeError(f"{name} is known here only by its description; it cannot be called")

    return Tool(name, spec.get("description", ""), spec.get("parameters", {}), unavailable)
