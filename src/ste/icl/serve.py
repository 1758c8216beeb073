"""`ste serve`: an OpenAI-compatible server that brings STE demonstrations to any agent.

A chat request that offers `tools` gets the practised examples most similar to its latest
user message added to its system message, then goes upstream; other requests go upstream
unchanged. Upstream is an OpenAI-compatible endpoint (requests and streams are passed
through as they are) or an in-process model such as the embedded GGUF models.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ste.icl.bank import DemoBank
from ste.icl.demonstrations import DEFAULT_K, DEFAULT_TOKEN_BUDGET, render_demonstrations
from ste.models.base import ChatModel, ChatResponse, Generation
from ste.prompts import render


def latest_user_text(messages: list[dict[str, Any]]) -> str:
    for message in reversed(messages):
        if message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):  # content parts
                return " ".join(p.get("text", "") for p in content if isinstance(p, dict))
            return content or ""
    return ""


def inject_demonstrations(
    body: dict[str, Any], bank: DemoBank, k: int, token_budget: int
) -> tuple[dict[str, Any], int]:
    """The request with demonstrations in its system message, and how many were added."""
    tools = body.get("tools") or []
    names = [t.get("function", {}).get("name") for t in tools if isinstance(t, dict)]
    query = latest_user_text(body.get("messages") or [])
    if not names or not query:
        return body, 0
    retrieved = bank.retrieve(query, names, k)
    text, shown = render_demonstrations([r.example for r in retrieved], "native", token_budget)
    if not shown:
        return body, 0
    addition = render("icl_system_demonstrations", demonstrations=text)
    messages = [dict(m) for m in body["messages"]]
    if (
        messages
        and messages[0].get("role") == "system"
        and isinstance(messages[0].get("content"), str)
    ):
        messages[0]["content"] = f"{messages[0]['content']}\n\n{addition}"
    else:
        messages.insert(0, {"role": "system", "content": addition})
    return {**body, "messages": messages}, shown


class EndpointUpstream:
    """Pass requests through to an OpenAI-compatible endpoint."""

    def __init__(
        self, base_url: str, api_key: str | None, model: str, timeout: float = 600.0
    ) -> None:
        self.model = model  # every request is sent to this model, whatever the client named
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout
        )

    async def models(self) -> Response:
        upstream = await self.client.get("models")
        return Response(upstream.content, upstream.status_code, media_type="application/json")

    async def chat(self, body: dict[str, Any]) -> Response:
        body = {**body, "model": self.model}
        if body.get("stream"):
            request = self.client.build_request("POST", "chat/completions", json=body)
            upstream = await self.client.send(request, stream=True)

            async def chunks() -> AsyncIterator[bytes]:
                try:
                    async for chunk in upstream.aiter_raw():
                        yield chunk
                finally:
                    await upstream.aclose()

            return StreamingResponse(
                chunks(),
                status_code=upstream.status_code,
                media_type=upstream.headers.get("content-type", "text/event-stream"),
            )
        upstream = await self.client.post("chat/completions", json=body)
        return Response(upstream.content, upstream.status_code, media_type="application/json")


def _completion(model: str, response: ChatResponse) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": response.text or None}
    if response.tool_calls:
        message["tool_calls"] = [
            {
                "id": call.id or f"call_{i}",
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": call.arguments
                    if isinstance(call.arguments, str)
                    else json.dumps(call.arguments, ensure_ascii=False),
                },
            }
            for i, call in enumerate(response.tool_calls, 1)
        ]
    finish = "tool_calls" if response.tool_calls else (response.finish_reason or "stop")
    usage = response.usage
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:24]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": {
            "prompt_tokens": usage.prompt_tokens,
            "completion_tokens": usage.completion_tokens,
            "total_tokens": usage.prompt_tokens + usage.completion_tokens,
        },
    }


def _as_stream(completion: dict[str, Any]) -> AsyncIterator[bytes]:
    """A whole completion as server-sent events (the in-process models do not stream)."""
    choice = completion["choices"][0]
    delta = {k: v for k, v in choice["message"].items() if v is not None}
    if "tool_calls" in delta:
        delta["tool_calls"] = [{"index": i, **c} for i, c in enumerate(delta["tool_calls"])]
    events = [
        {
            **completion,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
        },
        {
            **completion,
            "object": "chat.completion.chunk",
            "choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}],
        },
    ]

    async def chunks() -> AsyncIterator[bytes]:
        for event in events:
            event.pop("usage", None)
            yield f"data: {json.dumps(event)}\n\n".encode()
        yield b"data: [DONE]\n\n"

    return chunks()


class ModelUpstream:
    """Answer with an in-process model (an embedded GGUF model, say)."""

    def __init__(self, model: ChatModel) -> None:
        self.model = model

    async def models(self) -> Response:
        entry = {"id": self.model.name, "object": "model", "created": 0, "owned_by": "ste"}
        return JSONResponse({"object": "list", "data": [entry]})

    async def chat(self, body: dict[str, Any]) -> Response:
        stop = body.get("stop")
        generation = Generation(
            temperature=float(body.get("temperature", 0.0) or 0.0),
            max_tokens=int(body.get("max_tokens") or body.get("max_completion_tokens") or 512),
            stop=tuple([stop] if isinstance(stop, str) else stop or ()),
            seed=body.get("seed"),
        )
        response = await self.model.chat(
            body.get("messages") or [], tools=body.get("tools") or None, generation=generation
        )
        completion = _completion(self.model.name, response)
        if body.get("stream"):
            return StreamingResponse(_as_stream(completion), media_type="text/event-stream")
        return JSONResponse(completion)


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def create_app(
    upstream: EndpointUpstream | ModelUpstream,
    bank: DemoBank | None,
    *,
    token: str | None = None,
    k: int = DEFAULT_K,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
) -> FastAPI:
    app = FastAPI(title="ste serve", docs_url=None, redoc_url=None)

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        if token and request.headers.get("authorization") != f"Bearer {token}":
            return _error(401, "missing or wrong bearer token", "invalid_request_error")
        return await call_next(request)

    @app.get("/v1/models")
    async def models() -> Response:
        return await upstream.models()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return _error(400, "the request body is not JSON", "invalid_request_error")
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return _error(
                400, "expected a JSON object with a 'messages' list", "invalid_request_error"
            )
        shown = 0
        if bank is not None:
            body, shown = inject_demonstrations(body, bank, k, token_budget)
        response = await upstream.chat(body)
        response.headers["x-ste-demonstrations"] = str(shown)
        return response

    return app
