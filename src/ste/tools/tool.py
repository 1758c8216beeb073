"""The one tool type every source (Python, later OpenAPI and MCP) produces."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tool:
    """A callable the model can use: a name, what it does, and the JSON Schema of its arguments.

    `function` is called with the validated arguments as keyword arguments; it may be a plain
    function or a coroutine function.
    """

    name: str
    description: str
    parameters: dict[str, Any]
    function: Callable[..., Any]

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
