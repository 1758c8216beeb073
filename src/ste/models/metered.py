"""A model wrapper that writes every request's tokens to a usage ledger, and every failed
attempt (a retried 429, a hang, a garbled reply) as a line of its own with its outcome."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ste.models.base import Attempt, ChatModel, ChatResponse, Message
from ste.models.retry import EndpointDown, RequestFailed


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
        try:
            response = await self.model.chat(messages, **options)
        except (RequestFailed, EndpointDown) as failure:
            for attempt in failure.attempts:
                self._failed_attempt(attempt)
            raise
        for attempt in response.attempts[:-1]:  # the tries that failed before the answer
            self._failed_attempt(attempt)
        usage = response.usage
        self.ledger(
            {
                **self.context,
                "calls": usage.calls,
                "prompt_tokens": usage.prompt_tokens,
                "completion_tokens": usage.completion_tokens,
                "evaluated_prompt_tokens": usage.evaluated_prompt_tokens,
                "cached": response.cached,
                "outcome": "ok",
                "seconds": round(time.perf_counter() - started, 4),
                "time": round(time.time(), 3),
            }
        )
        return response

    def _failed_attempt(self, attempt: Attempt) -> None:
        self.ledger(
            {
                **self.context,
                "calls": 0,
                "outcome": attempt.outcome,
                "status": attempt.status,
                "seconds": attempt.seconds,
                "time": round(time.time(), 3),
            }
        )
