"""The user's own content reaches the call as the user gave it: the text to hash, encode or
analyse, the URL to split.

A request that says what to do but gives nothing to do it on ("I need to encode a string
to Base64 for transmission", "I need to decode a Base64 encoded string") is answered by a
call on a text the model made up ('This is a test string.', 'SGVsbG8sIFdvcmxkIQ=='): the
example teaches a caller to invent the user's input. `identifiers_given` catches such a
value when it has digits in it; here any value of a content parameter (one named, or
described, as the text, string, URL or message to process) must be in the request or an
earlier result, as written (case, spacing, quotes around it, a URL's %-escapes aside).
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.tool import Tool

_CONTENT_NAME = re.compile(r"^(?:text|string|url|uri|message|content|document|body|html)$", re.I)
_CONTENT_DESCRIBED = re.compile(
    r"\b(?:the|plain)\s+(?:text|string|url|message|document)\s+(?:to|that|which)\b", re.I
)


def content_parameters(tool: Tool) -> list[str]:
    """The parameters that take the user's content: named or described as such."""
    return [
        name
        for name, schema in tool.parameters.get("properties", {}).items()
        if isinstance(schema, dict)
        and "string" in str(schema.get("type", "string"))
        and not schema.get("enum")
        and (_CONTENT_NAME.match(name) or _CONTENT_DESCRIBED.search(schema.get("description", "")))
    ]


def _plain(text: str) -> str:
    return " ".join(unquote(text).split()).casefold()


def content_given(trial: Trial, tool: Tool) -> Check:
    """Each value a successful call passes to a content parameter is in the request or an
    earlier result."""
    names = content_parameters(tool)
    seen = _plain(trial.query)
    for step in trial.call_steps:
        if step.call is not None and step.tool_ok is True:
            for name in names:
                value = step.call.arguments.get(name)
                wanted = _plain(value).strip(" \"'.!?") if isinstance(value, str) else ""
                if wanted and wanted not in seen:
                    return Check(
                        "content_given",
                        False,
                        f"{name}={value[:60]!r}: in neither the request nor an earlier result "
                        "(content the model made up)",
                    )
        seen += " " + _plain(step.observation or "")
    return Check("content_given", True, "the content passed is the request's")
