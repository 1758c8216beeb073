"""`ste serve`: an OpenAI-compatible server that brings STE demonstrations to any agent.

A chat request that offers `tools` gets the practised examples most similar to its latest
user message added to its system message, then goes upstream; other requests go upstream
unchanged. Upstream is an OpenAI-compatible endpoint (requests and streams are passed
through as they are) or an in-process model such as the embedded GGUF models.

What a client sends is bounded and validated first (`ste.icl.chat_request`: 413 for a body
over the limit, 400 naming the field for one that is not a chat request); retrieval runs in
a worker thread, so a request being embedded never holds up the others; an upstream that
fails answers with a status that says so (502 unreachable or broken, 504 timed out, its own
429/503 with `Retry-After` passed on), never with a traceback.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from ste.distill.notes import annotated_description
from ste.errors import SteError
from ste.icl.bank import DemoBank
from ste.icl.chat_request import BadRequest, ChatRequest, Limits, parse_request
from ste.icl.demonstrations import DEFAULT_K, DEFAULT_TOKEN_BUDGET, render_demonstrations
from ste.icl.routing import RoutedNotes, ToolRouter
from ste.models.base import ChatModel, ChatResponse, Generation
from ste.prompts import render

log = logging.getLogger("ste.serve")
MAX_UPSTREAM_BYTES = 16 * 1024 * 1024  # an upstream answer larger than this is a 502
PASSED_ON = (400, 401, 403, 404, 409, 413, 422, 429, 503)  # upstream statuses a client can act on


def inject_demonstrations(
    body: dict[str, Any], request: ChatRequest, bank: DemoBank, k: int, token_budget: int
) -> tuple[dict[str, Any], int]:
    """The request with demonstrations in its system message, and how many were added: the
    examples of the offered tool the latest user message is most about first (`ToolRouter`)."""
    names = request.tool_names
    query = request.latest_user_text()
    if not names or not query.strip():
        return body, 0
    prefer = ToolRouter(_described(request)).route(query, names)
    retrieved = bank.retrieve(query, names, k, prefer)
    text, shown = render_demonstrations([r.example for r in retrieved], "native", token_budget)
    if not shown:
        return body, 0
    addition = render("icl_system_demonstrations", demonstrations=text)
    return _with_system_text(body, addition), shown


def inject_notes(
    body: dict[str, Any], request: ChatRequest, notes: dict[str, list[str]]
) -> tuple[dict[str, Any], str | None]:
    """The request with the notes of the offered tool its latest user message is most about
    (`RoutedNotes`) at the end of its system message, and that tool's name (None: none)."""
    described = _described(request)
    query = request.latest_user_text()
    if not described or not query.strip():
        return body, None
    text, routed = RoutedNotes(notes, described).notes_for(query, [n for n, _ in described])
    if not text:
        return body, None
    return _with_system_text(body, text), routed


def _described(request: ChatRequest) -> list[tuple[str, str]]:
    """(name, description) of each tool the request offers."""
    return [(t.function.name, t.function.description or "") for t in request.tools or []]


def _with_system_text(body: dict[str, Any], addition: str) -> dict[str, Any]:
    """The request with `addition` at the end of its system message (a new one if none)."""
    messages = [dict(m) for m in body["messages"]]
    if (
        messages
        and messages[0].get("role") == "system"
        and isinstance(messages[0].get("content"), str)
    ):
        messages[0]["content"] = f"{messages[0]['content']}\n\n{addition}"
    else:
        messages.insert(0, {"role": "system", "content": addition})
    return {**body, "messages": messages}


def add_notes(body: dict[str, Any], notes: dict[str, list[str]]) -> dict[str, Any]:
    """The request with each offered tool's notes from practice in its description."""
    tools = []
    for tool in body.get("tools") or []:
        function = tool.get("function", {})
        found = notes.get(function.get("name", ""))
        if found:
            described = annotated_description(function.get("description") or "", found)
            tool = {**tool, "function": {**function, "description": described}}
        tools.append(tool)
    return {**body, "tools": tools} if "tools" in body else body


class UpstreamError(Exception):
    """The upstream could not answer: the status to give the client, why, and its headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def _passed_headers(upstream: httpx.Response) -> dict[str, str]:
    retry_after = upstream.headers.get("retry-after")
    return {"Retry-After": retry_after} if retry_after else {}


def _is_json(content: bytes) -> bool:
    try:
        json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
        return False
    return True


class EndpointUpstream:
    """Pass requests through to an OpenAI-compatible endpoint."""

    def __init__(
        self, base_url: str, api_key: str | None, model: str, timeout: float = 600.0
    ) -> None:
        self.model = model  # every request is sent to this model, whatever the client named
        self.timeout = timeout
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/", headers=headers, timeout=timeout
        )

    async def _send(self, method: str, path: str, body: dict[str, Any] | None) -> httpx.Response:
        """The upstream's answer, its headers read and its body not yet; faults as
        UpstreamError."""
        request = self.client.build_request(method, path, json=body)
        try:
            return await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise self._fault(error, answering=False) from None

    async def _read(self, upstream: httpx.Response) -> bytes:
        try:
            too_big = UpstreamError(502, f"its answer is over {MAX_UPSTREAM_BYTES} bytes")
            return await bounded(upstream.aiter_bytes(), MAX_UPSTREAM_BYTES, too_big)
        except httpx.HTTPError as error:
            raise self._fault(error, answering=True) from None
        finally:
            await upstream.aclose()

    def _fault(self, error: httpx.HTTPError, *, answering: bool) -> UpstreamError:
        """A transport error as the status a client gets: 504 timed out, else 502."""
        if isinstance(error, httpx.TimeoutException):
            verb = "finish" if answering else "answer"
            return UpstreamError(504, f"the upstream did not {verb} within {self.timeout:g} s")
        what = "broke off its answer" if answering else "is unreachable"
        return UpstreamError(502, f"the upstream {what} ({type(error).__name__})")

    async def _whole(self, upstream: httpx.Response) -> Response:
        """The upstream's answer read whole (bounded), its faults mapped to statuses."""
        content = await self._read(upstream)
        status = upstream.status_code
        if status >= 400 and status not in PASSED_ON:
            said = content[:300].decode(errors="replace")
            raise UpstreamError(502, f"the upstream answered HTTP {status}: {said}")
        if status < 400 and not _is_json(content):
            raise UpstreamError(502, f"the upstream answered HTTP {status} with a body not JSON")
        return Response(
            content, status, headers=_passed_headers(upstream), media_type="application/json"
        )

    async def models(self) -> Response:
        return await self._whole(await self._send("GET", "models", None))

    async def chat(self, body: dict[str, Any], request: ChatRequest) -> Response:
        body = {**body, "model": self.model}
        upstream = await self._send("POST", "chat/completions", body)
        if not request.stream or upstream.status_code >= 400:
            return await self._whole(upstream)

        async def chunks() -> AsyncIterator[bytes]:
            try:
                async for chunk in upstream.aiter_raw():
                    yield chunk
            except httpx.HTTPError as error:  # the status is sent: all a client can get is the end
                log.warning("upstream stream broke off: %s", type(error).__name__)
            finally:
                await upstream.aclose()

        return StreamingResponse(
            chunks(),
            status_code=upstream.status_code,
            media_type=upstream.headers.get("content-type", "text/event-stream"),
        )


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

    async def chat(self, body: dict[str, Any], request: ChatRequest) -> Response:
        stop = request.stop
        generation = Generation(
            temperature=request.temperature or 0.0,
            max_tokens=request.token_limit or 512,
            stop=tuple([stop] if isinstance(stop, str) else stop or ()),
            seed=request.seed,
        )
        try:
            response = await self.model.chat(
                body["messages"], tools=body.get("tools") or None, generation=generation
            )
        except SteError as error:  # a prompt over the context window, say
            raise UpstreamError(400 if "context" in str(error) else 502, str(error)) from None
        completion = _completion(self.model.name, response)
        if request.stream:
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
    limits: Limits | None = None,
    notes: dict[str, list[str]] | None = None,
    notes_for: str = "routed",
) -> FastAPI:
    """`notes_for`: routed, the notes of the tool the latest user message is most about, in
    the system message; all, every offered tool's notes in its description."""
    limits = limits or Limits()
    app = FastAPI(title="ste serve", docs_url=None, redoc_url=None)
    expected = f"Bearer {token}".encode() if token else None

    @app.middleware("http")
    async def require_token(request: Request, call_next: Any) -> Response:
        if expected is not None:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, expected):
                return _error(401, "missing or wrong bearer token", "invalid_request_error")
        return await call_next(request)

    @app.exception_handler(UpstreamError)
    async def upstream_failed(_: Request, error: UpstreamError) -> Response:
        log.warning("upstream: %s", error.message)
        response = _error(error.status, error.message, "upstream_error")
        response.headers.update(error.headers)
        return response

    @app.exception_handler(BadRequest)
    async def bad_request(_: Request, error: BadRequest) -> Response:
        return _error(error.status, error.message, "invalid_request_error")

    @app.get("/v1/models")
    async def models() -> Response:
        return await upstream.models()

    @app.post("/v1/chat/completions")
    async def chat(request: Request) -> Response:
        body, parsed = parse_request(await read_body(request, limits.max_body_bytes), limits)
        shown, routed = 0, None
        if notes and notes_for == "all":
            body = add_notes(body, notes)
        if bank is not None:  # embedding the query is CPU work: not on the event loop
            body, shown = await asyncio.to_thread(
                inject_demonstrations, body, parsed, bank, k, token_budget
            )
        if notes and notes_for == "routed":  # after the demonstrations
            body, routed = await asyncio.to_thread(inject_notes, body, parsed, notes)
        response = await upstream.chat(body, parsed)
        response.headers["x-ste-demonstrations"] = str(shown)
        response.headers["x-ste-notes"] = routed or ""
        return response

    return app


async def read_body(request: Request, limit: int) -> bytes:
    """The request's body, refused with a 413 as soon as it is known to be over `limit`."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadRequest(413, f"the request body is over {limit} bytes ({declared} sent)")
    too_big = BadRequest(413, f"the request body is over {limit} bytes")
    return await bounded(request.stream(), limit, too_big)


async def bounded(chunks: AsyncIterator[bytes], limit: int, too_big: Exception) -> bytes:
    """The chunks joined, `too_big` raised as soon as they come to more than `limit` bytes."""
    content = bytearray()
    async for chunk in chunks:
        content += chunk
        if len(content) > limit:
            raise too_big
    return bytes(content)
