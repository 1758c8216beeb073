"""Native tool calling for models that write calls as text (the local GGUF models).

Qwen-style models answer a `tools=` prompt with `<tool_call>{...}</tool_call>`, a fenced
JSON block, or bare JSON. This module reads such text back into `ToolCall`s and turns
the conversation's tool turns into text the model understands.
"""

from __future__ import annotations

import re
from typing import Any

from ste.models import bounded_json
from ste.models.base import Message, ToolCall
from ste.prompts import render

_TAGGED = re.compile(r"<tool_call>\s*(.*?)\s*(?:</tool_call>|$)", re.DOTALL)
_FENCED = re.compile(r"```(?:json)?\s*(.*?)\s*```", re.DOTALL)


def _as_calls(value: Any) -> list[ToolCall] | None:
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        arguments = item.get("arguments", item.get("parameters", {}))
        if isinstance(arguments, str):
            decoded = _loads(arguments)
            arguments = decoded if decoded is not None else arguments
        calls.append(ToolCall(name=item["name"], arguments=arguments))
    return calls or None


def _loads(text: str) -> Any:
    try:
        return bounded_json.loads(text)
    except ValueError:  # not JSON, or past a limit (bounded_json)
        return None


def tool_calls_from_text(text: str) -> list[ToolCall]:
    """The calls written in `text`, or [] when it is a plain answer."""
    for pattern in (_TAGGED, _FENCED):
        blocks = [_loads(m) for m in pattern.findall(text)]
        calls = [c for block in blocks if block is not None for c in (_as_calls(block) or [])]
        if calls:
            return calls
    return _leading_calls(text.strip())


def _leading_calls(text: str) -> list[ToolCall]:
    """Calls written as bare JSON at the start of the reply, one value after another.

    Reading stops at the first value that is not a call, or at text that is not JSON: a
    small model often goes on to imagine the tool's result, which must not be read as a call
    (the ReAct protocol stops at "Observation:" for the same reason).
    """
    calls, position = [], 0
    while position < len(text) and text[position] in "{[":
        try:
            value, end = bounded_json.raw_decode(text, position)
        except ValueError:
            break
        found = _as_calls(value)
        if not found:
            break
        calls += found
        position = end
        while position < len(text) and text[position].isspace():
            position += 1
    return calls


def tool_turns_as_text(messages: list[Message]) -> list[Message]:
    """Rewrite `tool` results as plain user turns, and assistant calls with dict arguments.

    The small Qwen models answer well when a result comes back as a user turn and poorly
    when it comes as a `tool` turn; chat templates also expect arguments as objects.
    """
    names: dict[str, str] = {}
    out: list[Message] = []
    for message in messages:
        if message.get("role") == "assistant" and message.get("tool_calls"):
            calls = []
            for call in message["tool_calls"]:
                function = call["function"]
                names[call.get("id", "")] = function["name"]
                arguments = function.get("arguments")
                if isinstance(arguments, str):
                    arguments = _loads(arguments) or {}
                calls.append({**call, "function": {**function, "arguments": arguments}})
            out.append({**message, "content": message.get("content") or "", "tool_calls": calls})
        elif message.get("role") == "tool":
            name = names.get(message.get("tool_call_id", ""), "the tool")
            content = render(
                "local_tool_result", name=name, content=str(message.get("content", ""))
            )
            if out and out[-1]["role"] == "user":  # several results of one turn: one user turn
                out[-1] = {**out[-1], "content": out[-1]["content"] + "\n" + content}
            else:
                out.append({"role": "user", "content": content})
        else:
            out.append({**message, "content": message.get("content") or ""})
    return out
