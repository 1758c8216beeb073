"""Conversations in a Hugging Face tokenizer's own chat template, rendered one way for
training and for generation, so a fine-tuned model is asked exactly as it was taught.

Templates differ in what they render: Qwen's renders `tools=` and assistant `tool_calls`;
SmolLM2's renders neither, and tools and calls would silently vanish. `template_support`
probes a template once; what it cannot render is written as text instead: the tools in a
system message (prompts/hf_tools_system.txt) and each call as
`<tool_call>{"name": ..., "arguments": {...}}</tool_call>`, the format that
`tool_text.tool_calls_from_text` reads back.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ste.errors import ModelError
from ste.models import bounded_json
from ste.models.base import Message
from ste.prompts import render

_PROBE = "ste_probe_tool_7f3a"
_PROBE_TOOL = {
    "type": "function",
    "function": {
        "name": _PROBE,
        "description": "probe",
        "parameters": {"type": "object", "properties": {}},
    },
}


@dataclass(frozen=True)
class TemplateSupport:
    """What a chat template renders by itself."""

    tools: bool
    tool_calls: bool


def _renders(tokenizer: Any, messages: list[Message], tools: list[dict[str, Any]] | None) -> str:
    try:
        return str(tokenizer.apply_chat_template(messages, tools=tools, tokenize=False))
    except Exception:  # a template that rejects the probe does not support it
        return ""


def template_support(tokenizer: Any) -> TemplateSupport:
    """Probe the template with a tool and a tool call that carry a unique name."""
    if not getattr(tokenizer, "chat_template", None):
        raise ModelError(
            "the tokenizer has no chat template; fine-tune and run an instruction-tuned (chat) "
            "model, or add a chat_template to its tokenizer_config.json"
        )
    user = {"role": "user", "content": "hi"}
    call = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": _PROBE, "arguments": {}}}
        ],
    }
    return TemplateSupport(
        tools=_PROBE in _renders(tokenizer, [user], [_PROBE_TOOL]),
        tool_calls=_PROBE in _renders(tokenizer, [user, call], None),
    )


def _decoded(arguments: Any) -> Any:
    """Chat templates expect arguments as objects; the OpenAI layout sends JSON text."""
    if not isinstance(arguments, str):
        return arguments
    try:
        return bounded_json.loads(arguments)
    except ValueError:
        return arguments


def call_as_text(name: str, arguments: Any) -> str:
    body = json.dumps({"name": name, "arguments": arguments}, ensure_ascii=False)
    return f"<tool_call>\n{body}\n</tool_call>"


def _assistant(message: Message, support: TemplateSupport) -> Message:
    calls = []
    for call in message.get("tool_calls") or []:
        function = {**call["function"], "arguments": _decoded(call["function"].get("arguments"))}
        calls.append({**call, "function": function})
    content = message.get("content") or ""
    if not calls:
        return {"role": "assistant", "content": content}
    if support.tool_calls:
        return {"role": "assistant", "content": content, "tool_calls": calls}
    texts = [call_as_text(c["function"]["name"], c["function"]["arguments"]) for c in calls]
    return {"role": "assistant", "content": "\n".join(([content] if content else []) + texts)}


def _with_tools_in_system(messages: list[Message], tools: list[dict[str, Any]]) -> list[Message]:
    listing = "\n".join(json.dumps(t, ensure_ascii=False) for t in tools)
    text = render("hf_tools_system", tools=listing)
    if messages and messages[0]["role"] == "system":
        return [{"role": "system", "content": f"{messages[0]['content']}\n\n{text}"}, *messages[1:]]
    return [{"role": "system", "content": text}, *messages]


def template_messages(
    messages: list[Message], tools: list[dict[str, Any]] | None, support: TemplateSupport
) -> tuple[list[Message], list[dict[str, Any]] | None]:
    """The messages and `tools=` to hand to `apply_chat_template`. `tool` messages stay
    `tool` messages: the template renders them its own way (Qwen: `<tool_response>`)."""
    out: list[Message] = []
    for message in messages:
        if message.get("role") == "assistant":
            out.append(_assistant(message, support))
        else:
            out.append({**message, "content": message.get("content") or ""})
    if tools and not support.tools:
        return _with_tools_in_system(out, tools), None
    return out, (tools or None)


def render_chat(
    tokenizer: Any,
    messages: list[Message],
    tools: list[dict[str, Any]] | None,
    support: TemplateSupport,
    *,
    add_generation_prompt: bool = False,
) -> str:
    """The conversation as the text the model reads (no tokenization)."""
    chat, tools_param = template_messages(messages, tools, support)
    try:
        text = tokenizer.apply_chat_template(
            chat, tools=tools_param, tokenize=False, add_generation_prompt=add_generation_prompt
        )
    except Exception as error:
        raise ModelError(
            f"the model's chat template cannot render this conversation: {error}"
        ) from None
    return str(text)
