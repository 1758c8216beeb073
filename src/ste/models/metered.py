"""A model wrapper that writes every request's tokens to a usage ledger."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ste.models.base import ChatModel, ChatResponse, Message


class MeteredModel:
    def __init__(
        self, model: ChatModel, ledger: Callable[[dict[str, Any]], None], **context: Any
    ) -> None:
        self.model = model
        self.name = model.name
        self.max_concurrency = getattr(model, "max_concurrency", 1)
        self.ledger = ledger
        self.context = context

    async def chat(self, messages: list[Message], **options: Any) -> ChatResponse:
        started = time.perf_counter()
        response = await self.model.chat(messages, **options)
        usage = response.usage
        self.ledger(
            {
                **self.context,
                "calls": usage.calls,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "evaluated_prompt_tokens": usage.evaluated_prompt_tokens,
                "cached": response.cached,
                "seconds": round(time.perf_counter() - started, 4),
                "time": round(time.time(), 3),
            }
        )
        return response
