"""Any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, llama.cpp server) via the `openai` SDK.

Every attempt is ours (`ste.models.retry`), not the SDK's hidden retries, so each one is
recorded in the ledger: 429, 5xx, resets, hangs and replies that are not a chat completion
(not JSON, no choices, a truncated body) are retried with backoff, `Retry-After` obeyed.
"""

from __future__ import annotations

import json
import os
from typing import Any

import httpx
import openai
import pydantic
from openai.types.chat import ChatCompletion

from ste.errors import ModelError
from ste.models import bounded_json
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
from ste.models.retry import (
    FailureCounter,
    RequestPolicy,
    RetryableError,
    with_retries,
)

MAX_BODY_BYTES = 16 * 1024 * 1024  # a chat completion is kilobytes
RETRYABLE_STATUS = {408, 409, 425, 429}  # and every 5xx


def _decode_arguments(text: str | None) -> dict[str, Any] | str:
    if not text:
        return {}
    try:
        value = bounded_json.loads(text)
    except ValueError:  # not JSON or past a limit: the agent tells the model
        return text
    return value if isinstance(value, dict) else text


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _completion(response: httpx.Response) -> ChatCompletion:
    """The reply as a chat completion, or a RetryableError saying what is wrong with it."""
    if len(response.content) > MAX_BODY_BYTES:
        raise RetryableError(f"a reply body of {len(response.content)} bytes", status=200)
    try:
        data = json.loads(response.content)
    except (ValueError, RecursionError):
        shown = response.text[:80]
        raise RetryableError(f"a reply that is not JSON ({shown!r})", status=200) from None
    if not isinstance(data, dict) or not data.get("choices"):
        raise RetryableError("a reply with no choices", status=200)
    try:
        return ChatCompletion.model_validate(data)
    except pydantic.ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise RetryableError(
            f"a reply that is not a chat completion ({where}: {first['msg']})", status=200
        ) from None


class OpenAIEndpointModel:
    """Chat through `/v1/chat/completions`. Concurrent calls are fine: the client is async."""

    def __init__(
        self,
        model: str,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        policy: RequestPolicy | None = None,
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
        self.policy = policy or RequestPolicy()
        self.failures = FailureCounter()  # failed requests in a row, across concurrent ones
        self._client = openai.AsyncOpenAI(
            base_url=base_url, api_key=api_key, max_retries=0, timeout=self.policy.timeout
        )

    async def _attempt(self, request: dict[str, Any]) -> ChatCompletion:
        try:
            # The messages are already plain JSON: posting them skips the SDK's per-message
            # type walk (~2 ms a request on a long conversation).
            response = await self._client.post(
                "/chat/completions", body=request, cast_to=httpx.Response
            )
        except openai.AuthenticationError as error:
            raise ModelError(f"{self.name}: the endpoint refused the API key ({error})") from None
        except openai.NotFoundError as error:
            raise ModelError(
                f"{self.name}: the endpoint does not know this model ({error})"
            ) from None
        except openai.APIStatusError as error:
            status = error.status_code
            if status in RETRYABLE_STATUS or status >= 500:
                raise RetryableError(
                    f"HTTP {status}", status=status, retry_after=_retry_after(error.response)
                ) from None
            raise ModelError(f"{self.name}: the endpoint refused the request ({error})") from None
        except openai.APITimeoutError:
            raise RetryableError(f"no reply within {self.policy.timeout:g} s") from None
        except openai.APIConnectionError as error:
            where = self.base_url or "api.openai.com"
            cause = error.__cause__ or error
            raise RetryableError(f"cannot reach {where} ({type(cause).__name__})") from None
        return _completion(response)

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
        completion, attempts = await with_retries(
            lambda: self._attempt(request), self.policy, self.failures, self.name
        )
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
            attempts=attempts,
        )
