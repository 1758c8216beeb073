"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via the `openai` SDK.

Retries with exponential backoff on 429, 5xx, connection errors and timeouts are the SDK's
own (`max_retries`); we only choose how many.
"""

from __future__ import annotations

import json
import os
from typing import Any

import openai
from openai.types.chat import ChatCompletion

from ste.errors import ModelError
from ste.models.base import (
    ENDPOINT_CONCURRENCY,
    GREEDY,
    ChatResponse,
    Generation,
    Message,
    ToolCall,
    Tools,
    Usage,
)

DEFAULT_MAX_RETRIES = 6
DEFAULT_TIMEOUT_S = 120.0


def _decode_arguments(text: str | None) -> dict[str, Any] | str:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return text
    return value if isinstance(value, dict) else text


class OpenAIEndpointModel:
    """Chat through `/v1/chat/completions`. Concurrent calls are fine: the client is async."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        max_retries: int = DEFAULT_MAX_RETRIES,
        timeout: float = DEFAULT_TIMEOUT_S,
    ) -> None:
        base_url = base_url or os.environ.get("OPENAI_BASE_URL")
        api_key = api_key or os.environ.get("OPENAI_API_KEY")
        if not api_key:
            if not base_url:
                raise ModelError(
                    f"openai:{model} needs OPENAI_API_KEY, or a --base-url / OPENAI_BASE_URL "
                    "for a local endpoint that takes no key"
                )
            api_key = "not-needed"  # local servers (vLLM, Ollama, llama.cpp) ignore the key
        self.name = f"openai:{model}"
        self.max_concurrency = ENDPOINT_CONCURRENCY
        self.model = model
        self.base_url = base_url
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=max_retries, timeout=timeout
        )

    async def chat(
        self, messages: list[Message], *, tools: Tools = None, generation: Generation = GREEDY
    ) -> ChatResponse:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": generation.temperature,
            "max_tokens": generation.max_tokens,
        }
        if tools:
            request["tools"] = tools
        if generation.stop:  # the API accepts at most four stop sequences
            request["stop"] = list(generation.stop[:4])
        if generation.seed is not None:
            request["seed"] = generation.seed
        try:
            # The messages are already plain JSON: posting them skips the SDK's per-message
            # type walk (~2 ms a request on a long conversation) but keeps its retries.
            completion = await self._client.post(
                "/chat/completions", body=request, cast_to=ChatCompletion
            )
        except openai.AuthenticationError as error:
            raise ModelError(f"{self.name}: the endpoint refused the API key ({error})") from None
        except openai.NotFoundError as error:
            raise ModelError(
                f"{self.name}: the endpoint does not know this model ({error})"
            ) from None
        except openai.APIConnectionError as error:
            where = self.base_url or "api.openai.com"
            raise ModelError(f"{self.name}: cannot reach {where} ({error})") from None

        choice = completion.choices[0]
        calls = [
            ToolCall(
                name=call.function.name,
                arguments=_decode_arguments(call.function.arguments),
                id=call.id,
            )
            for call in (choice.message.tool_calls or [])
            if getattr(call, "function", None) is not None
        ]
        usage = completion.usage
        prompt_tokens = usage.prompt_tokens if usage else 0
        details = getattr(usage, "prompt_tokens_details", None)
        cached_tokens = getattr(details, "cached_tokens", None) or 0
        return ChatResponse(
            text=choice.message.content or "",
            tool_calls=calls,
            usage=Usage(
                prompt_tokens=prompt_tokens,
                completion_tokens=usage.completion_tokens if usage else 0,
                calls=1,
                evaluated_prompt_tokens=prompt_tokens - cached_tokens,
            ),
            finish_reason=choice.finish_reason,
        )
