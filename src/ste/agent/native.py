"""The native protocol: tools go in `tools=`, calls come back as `tool_calls`, results as
`tool` messages. Backends without native calling (the local GGUF models) emulate it."""

from __future__ import annotations

import json
import uuid
from typing import Any

from ste.agent.grammar import native_grammar
from ste.agent.parsed import Action, FinalAnswer, Parsed, ParseError
from ste.models import bounded_json
from ste.models.base import ChatModel, ChatResponse, Generation, Message, ToolCall
from ste.models.bounded_json import ReplyLimitError
from ste.prompts import render
from ste.tools.tool import Tool


def parse_tool_call(call: ToolCall, tool_names: list[str]) -> Parsed:
    call.id = call.id or f"call_{uuid.uuid4().hex[:12]}"
    if call.name not in tool_names:
        unknown = render("native_unknown_tool", name=call.name, tool_names=", ".join(tool_names))
        return ParseError(unknown, call_id=call.id)
    if isinstance(call.arguments, str):
        try:
            bounded_json.loads(call.arguments)
        except ReplyLimitError as error:
            message = render("reply_limit", problem=str(error))
            return ParseError(message[0].upper() + message[1:] + ".", call_id=call.id)
        except ValueError:
            pass
    if not isinstance(call.arguments, dict):
        shown = repr(str(call.arguments)[:200])
        message = render("native_arguments_not_object", name=call.name, shown=shown)
        return ParseError(message, call_id=call.id)
    return Action(call.name, call.arguments, call_id=call.id)


class NativeProtocol:
    name = "native"

    def system_message(self, tools: list[Tool]) -> Message:
        return {"role": "system", "content": render("native_system")}

    def first_messages(self, tools: list[Tool], query: str) -> list[Message]:
        return [self.system_message(tools), self.query_message(query)]

    def tools_param(self, tools: list[Tool]) -> list[dict[str, Any]] | None:
        """Tools go with every request (also plain-text ones, so a local model's prompt
        prefix, which the chat template builds from them, stays the same)."""
        return [t.openai_spec() for t in tools]

    def query_message(self, query: str) -> Message:
        return {"role": "user", "content": query}

    def grammar(self, tools: list[Tool], answer: bool = True) -> str | None:
        return native_grammar(tools, answer)

    async def ask(
        self, model: ChatModel, messages: list[Message], tools: list[Tool], generation: Generation
    ) -> tuple[ChatResponse, list[Parsed]]:
        response = await model.chat(messages, tools=self.tools_param(tools), generation=generation)
        names = [t.name for t in tools]
        if response.tool_calls:
            return response, [parse_tool_call(c, names) for c in response.tool_calls]
        if not response.text.strip():
            return response, [ParseError(render("native_empty_reply"))]
        return response, [FinalAnswer(response.text.strip())]

    def reply_message(self, response: ChatResponse, parsed: list[Parsed]) -> Message:
        message: Message = {"role": "assistant", "content": response.text or None}
        calls = []
        for call in response.tool_calls:
            arguments = call.arguments
            if not isinstance(arguments, str):
                arguments = json.dumps(arguments, ensure_ascii=False)
            calls.append(
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": arguments},
                }
            )
        if calls:
            message["tool_calls"] = calls
        return message

    def observation_messages(self, parsed: list[Parsed], observations: list[str]) -> list[Message]:
        out: list[Message] = []
        for meaning, observation in zip(parsed, observations, strict=True):
            if isinstance(meaning, Action | ParseError) and meaning.call_id:
                out.append(
                    {"role": "tool", "tool_call_id": meaning.call_id, "content": observation}
                )
            else:
                out.append({"role": "user", "content": observation})
        return out
