"""What `ste serve` accepts: a bounded body, validated into a chat request before any work.

A request is read up to `Limits.max_body_bytes` (more is a 413, told before the rest is
read when the client sent a Content-Length); JSON that is not JSON, nests too deeply or
holds an integer of thousands of digits is a 400; the body is then validated as an OpenAI
chat-completions request: messages with known roles, tools as
functions with names, `max_tokens` within the server's bound, a finite temperature. What
fails is a 400 naming the field and what is accepted. Fields ste does not know pass through
to the upstream unchanged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024
DEFAULT_MAX_TOKENS = 4096
MAX_QUERY_CHARS = 4000  # retrieval looks at no more of the latest user message than this


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_tokens: int = DEFAULT_MAX_TOKENS


class BadRequest(Exception):
    """A request ste serve refuses: the status to answer with and why."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class FunctionSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, max_length=256)
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolSpec(BaseModel):
    model_config = ConfigDict(extra="allow")

    type: Literal["function"] = "function"
    function: FunctionSpec


class ChatMessage(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None


class ChatRequest(BaseModel):
    """The fields of an OpenAI chat request that ste serve reads or bounds."""

    model_config = ConfigDict(extra="allow")

    model: str | None = None
    messages: list[ChatMessage] = Field(min_length=1)
    tools: list[ToolSpec] | None = None
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float | None = Field(default=None, ge=0, le=2, allow_inf_nan=False)
    top_p: float | None = Field(default=None, ge=0, le=1, allow_inf_nan=False)
    seed: int | None = None
    stop: str | list[str] | None = None

    @property
    def token_limit(self) -> int | None:
        return self.max_completion_tokens or self.max_tokens

    @property
    def tool_names(self) -> list[str]:
        return [tool.function.name for tool in self.tools or []]

    def latest_user_text(self) -> str:
        """The latest user message's text (content parts joined), cut to MAX_QUERY_CHARS."""
        for message in reversed(self.messages):
            if message.role == "user":
                content = message.content
                if isinstance(content, list):
                    content = " ".join(
                        str(part.get("text", "")) for part in content if part.get("type") == "text"
                    )
                return (content or "")[:MAX_QUERY_CHARS]
        return ""


def _reason(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "body"
    more = len(error.errors()) - 1
    return f"{where}: {first['msg']}" + (f" (and {more} more)" if more else "")


def parse_request(raw: bytes, limits: Limits) -> tuple[dict[str, Any], ChatRequest]:
    """The body as sent (to forward) and as validated; BadRequest when it is not a request
    ste serve takes."""
    if len(raw) > limits.max_body_bytes:
        raise BadRequest(413, f"the request body is over {limits.max_body_bytes} bytes")
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError) as error:
        raise BadRequest(400, f"the request body is not JSON ({error})") from None
    if not isinstance(body, dict):
        raise BadRequest(400, "the request body must be a JSON object with a 'messages' list")
    try:
        request = ChatRequest.model_validate(body)
    except ValidationError as error:
        raise BadRequest(400, f"not a chat request: {_reason(error)}") from None
    limit = request.token_limit
    if limit is not None and limit > limits.max_tokens:
        raise BadRequest(
            400, f"max_tokens {limit} is over this server's limit of {limits.max_tokens}"
        )
    return body, request
