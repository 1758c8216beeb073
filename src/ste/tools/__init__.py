"""Tools: the `Tool` type, its sources, and safe execution."""

from ste.tools.execute import ToolResult, execute
from ste.tools.python_source import (
    BUNDLED_TESTS,
    BUNDLED_TOOLBOX,
    load_python_tools,
    tool_from_function,
)
from ste.tools.sources import load_tools
from ste.tools.tool import Tool

__all__ = [
    "BUNDLED_TESTS",
    "BUNDLED_TOOLBOX",
    "Tool",
    "ToolResult",
    "execute",
    "load_python_tools",
    "load_tools",
    "tool_from_function",
]
