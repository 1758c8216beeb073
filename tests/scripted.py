"""A scripted model for unit tests: replays canned replies and records every request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from ste.models.base import GREEDY, ChatResponse, Generation, Message, ToolCall, Usage

Reply = str | ChatResponse | Callable[[list[Message]], str | ChatResponse]


class ScriptedModel:
    def __init__(self, replies: list[Reply], name: str = "scripted") -> None:
        self.name = name
        self.replies = list(replies)
        self.requests: list[dict[str, Any]] = []

    async def chat(
        self, messages: list[Message], *, tools: Any = None, generation: Generation = GREEDY
    ) -> ChatResponse:
        self.requests.append(
            {"messages": [dict(m) for m in messages], "tools": tools, **recorded(generation)}
        )
        if not self.replies:
            raise AssertionError("the scripted model ran out of replies")
        reply = self.replies.pop(0)
        if callable(reply):
            reply = reply(messages)
        if isinstance(reply, str):
            reply = ChatResponse(text=reply)
        reply.usage = Usage(
            prompt_tokens=10, completion_tokens=5, calls=1, evaluated_prompt_tokens=10
        )
        return reply


def recorded(generation: Generation) -> dict[str, Any]:
    """A request's sampling settings as a test reads them (`stop` as a list)."""
    fields = {k: v for k, v in asdict(generation).items() if k != "gbnf" or v is not None}
    return {**fields, "stop": list(generation.stop) or None}


def call(name: str, arguments: dict[str, Any] | str, call_id: str = "") -> ChatResponse:
    return ChatResponse(tool_calls=[ToolCall(name=name, arguments=arguments, id=call_id)])
