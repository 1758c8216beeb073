"""A written note about a parameter the tool does not take is wrong, whatever its evidence:
"The `count` parameter is optional" (a field of the holiday tool's result) was verified by
re-executing the calls it cites, which never passed a `count`."""

from __future__ import annotations

import re

from ste.tools.tool import Tool

# a name written as code or with an underscore, beside the word for a parameter
_NAMED = re.compile(
    r"(?:`(\w+)`|'(\w+)'|\"(\w+)\"|\b(\w+_\w+))\s+(?:parameter|argument|input)s?\b"
    r"|\b(?:parameter|argument|input)s?\s+(?:`(\w+)`|'(\w+)'|\"(\w+)\"|\b(\w+_\w+))",
    re.IGNORECASE,
)


def unknown_parameter(text: str, tool: Tool) -> str | None:
    """Why a note naming a parameter the tool does not take is dropped, or None."""
    properties = tool.parameters.get("properties", {})
    for groups in _NAMED.findall(text):
        name = next(g for g in groups if g)
        if name not in properties and name != tool.name:
            return f"names a parameter {name!r} the tool does not take"
    return None
