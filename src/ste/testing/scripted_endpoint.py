"""A scripted OpenAI-compatible endpoint for tests and benchmarks.

`ScriptedEndpoint` is a real HTTP server on 127.0.0.1 (standard library only) that speaks
`POST /v1/chat/completions` and `GET /v1/models`, so `--model openai:NAME --base-url URL`
can drive the whole `ste explore` pipeline (SDK, HTTP, parsing, tool execution, run
directory) with no model at all. It answers like a perfect ReAct explorer, deterministically,
from the last user message of each request:

- an imagination prompt -> a new query ("Please check item 7 with the tool.");
- the try prompt -> `Thought / Action / Action Input` calling the conversation's tool;
- an `Observation:` message -> `Thought: I now know the final answer` + `Final Answer`;
- the reflection prompt -> "Yes. It worked.";
- anything else -> "Final Answer: ok".

With good replies a trial is therefore exactly 4 requests.

`fault` makes it misbehave, for the fault-injection tests: one of `FAULTS` ("429" with
`Retry-After: 0`, "500", "hang" (no reply for `hang_s`), "reset" (the connection closed
with no reply), "garbage" (a 200 that is not JSON), "empty_choices", "truncated" (half a
body, then the connection closed), "flaky" (every other request a 500)), for the first
`fault_requests` requests (None: all of them). `arrivals` counts every request that reached
it, answered or not. `latency_s` makes every answer
wait (in the handler's own thread: concurrent requests overlap, as with a real server), so
wall time against the ideal shows the client's own overhead and how well it overlaps
requests::

    with ScriptedEndpoint(latency_s=0.1) as endpoint:
        ...  # ste explore TOOLBOX --model openai:scripted --base-url {endpoint.base_url}
        print(endpoint.requests)
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import socket
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ste.prompts import template

ToolArguments = Callable[[str], dict[str, Any]]

FAULTS = ("429", "500", "hang", "reset", "garbage", "empty_choices", "truncated", "flaky")
_TOOL_NAMES = re.compile(r"one of: ([^>\n]+)>")
_API_NAME = re.compile(r"^API_name: (\S+)", re.MULTILINE)


def _prefix(template_name: str, length: int = 40) -> str:
    """The fixed start of a prompt template (before any placeholder), to recognise it by."""
    return template(template_name).split("{", 1)[0][:length].strip()


# What the last user message starts with, per kind of turn; read from ste's own prompts so
# the endpoint follows them when they are reworded.
_KINDS: dict[str, tuple[str, ...]] = {
    "imagine": (
        "explore_imagine_first",
        "explore_imagine_next",
        "explore_query_retry",
        "explore_query_lacking",
    ),
    "try": ("explore_try_react", "react_query", "react_no_call"),
    "observation": ("react_observation",),
    "reflect": ("explore_reflect", "verdict_reminder"),
}


def _text(content: Any) -> str:
    """A message's content as text (a string, or a list of `{"type": "text"}` parts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return ""


def tool_name(messages: list[dict[str, Any]]) -> str:
    """The first tool named in the system message ("one of: A, B", else "API_name: A")."""
    system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
    names = _TOOL_NAMES.search(system)
    if names:
        return names.group(1).split(",")[0].strip()
    described = _API_NAME.search(system)
    return described.group(1) if described else "unknown_tool"


class ScriptedEndpoint:
    """An OpenAI-compatible chat endpoint that answers like a perfect ReAct explorer."""

    def __init__(
        self,
        latency_s: float = 0.0,
        tool_arguments: ToolArguments | None = None,
        *,
        fault: str | None = None,
        fault_requests: int | None = None,
        hang_s: float = 30.0,
    ) -> None:
        if fault is not None and fault not in FAULTS:
            raise ValueError(f"fault must be one of {', '.join(FAULTS)}, got {fault!r}")
        self.fault = fault
        self.fault_requests = fault_requests
        self.hang_s = hang_s
        self.arrivals = 0
        self.latency_s = latency_s
        self.tool_arguments: ToolArguments = tool_arguments or (lambda _name: {})
        self.kinds: Counter[str] = Counter()  # requests per kind of turn
        self._requests = 0
        # time.perf_counter() when the first request arrived and when the last reply was sent
        self.first_request_at: float | None = None
        self.last_reply_at: float | None = None
        self._queries = itertools.count(1)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._prefixes = {
            kind: tuple(_prefix(name) for name in names) for kind, names in _KINDS.items()
        }

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> ScriptedEndpoint:
        if self._server is not None:
            return self
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="scripted-endpoint", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> ScriptedEndpoint:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the endpoint is not started")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def busy_s(self) -> float:
        """Seconds from the first request's arrival to the last reply (0 before any)."""
        with self._lock:
            if self.first_request_at is None or self.last_reply_at is None:
                return 0.0
            return self.last_reply_at - self.first_request_at

    def _arrived(self) -> str | None:
        """Count the request; the fault it gets, if any."""
        with self._lock:
            if self.first_request_at is None:
                self.first_request_at = time.perf_counter()
            self.arrivals += 1
            number = self.arrivals
        if self.fault is None:
            return None
        if self.fault_requests is not None and number > self.fault_requests:
            return None
        if self.fault == "flaky":
            return "500" if number % 2 == 1 else None
        return self.fault

    def _replied(self) -> None:
        with self._lock:
            self.last_reply_at = time.perf_counter()

    @property
    def requests(self) -> int:
        """Chat completion requests answered so far."""
        with self._lock:
            return self._requests

    def reset(self) -> None:
        """Zero the request counts and times (the query counter goes on)."""
        with self._lock:
            self._requests = 0
            self.kinds.clear()
            self.first_request_at = self.last_reply_at = None

    # -- the explorer ---------------------------------------------------------------------

    def kind_of(self, message: str) -> str:
        """Which turn a last user message asks for: imagine, try, observation, reflect, other."""
        message = message.lstrip()
        for kind, prefixes in self._prefixes.items():
            if any(p and message.startswith(p) for p in prefixes):
                return kind
        return "other"

    def reply(self, messages: list[dict[str, Any]]) -> tuple[str, str]:
        """(kind, reply text) for a conversation."""
        last_user = next(
            (_text(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), ""
        )
        kind = self.kind_of(last_user)
        if kind == "imagine":
            return kind, f"Please check item {next(self._queries)} with the tool."
        if kind == "try":
            name = tool_name(messages)
            arguments = json.dumps(self.tool_arguments(name))
            return kind, (
                f"Thought: I should call {name}.\nAction: {name}\nAction Input: {arguments}"
            )
        if kind == "observation":
            observation = last_user.split(":", 1)[1].strip()[:200]
            return kind, (
                "Thought: I now know the final answer\n"
                f"Final Answer: The tool answered {observation}"
            )
        if kind == "reflect":
            return kind, "Yes. It worked."
        return kind, "Final Answer: ok"

    def complete(self, body: dict[str, Any]) -> dict[str, Any]:
        """The chat.completion object answering one request body."""
        messages = body.get("messages") or []
        kind, text = self.reply(messages)
        with self._lock:
            self._requests += 1
            self.kinds[kind] += 1
        prompt_chars = sum(len(_text(m.get("content"))) for m in messages)
        prompt_tokens, completion_tokens = prompt_chars // 4, len(text) // 4
        return {
            "id": f"chatcmpl-scripted-{kind}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body.get("model", "scripted"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # socketserver's default backlog is 5: a client opening 20 connections at once would see
    # some of them dropped and retried after a second, which is not the client's overhead.
    request_queue_size = 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gives up (a retry timeout, a stopped run) resets its connection; that
        # is the client's choice, not a server fault worth a traceback on stderr.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)


def _handler_for(endpoint: ScriptedEndpoint) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as real servers do
        timeout = 60  # an idle kept-alive connection closes after this
        # Headers and body leave in one segment (buffered, flushed after each request) with
        # Nagle off: written separately, the body would wait for the client's delayed ACK
        # (about 40 ms on Linux) and every request would look 40 ms slower than it is.
        wbufsize = 64 * 1024
        disable_nagle_algorithm = True

        def _send(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            if self.path.rstrip("/") == "/v1/models":
                model = {"id": "scripted", "object": "model", "created": 0, "owned_by": "ste"}
                self._send(200, {"object": "list", "data": [model]})
            else:
                self._send(404, {"error": {"message": f"no route {self.path}"}})

        def _misbehave(self, fault: str, body: dict[str, Any]) -> None:
            if fault in ("429", "500"):
                self.send_response(int(fault))
                data = json.dumps({"error": {"message": f"scripted {fault}"}}).encode()
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                if fault == "429":
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(data)
                return
            if fault in ("hang", "reset"):
                if fault == "hang":
                    time.sleep(endpoint.hang_s)
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault == "garbage":
                data = b"<html><body>502 Bad Gateway (but sent as a 200)</body></html>"
                kind = "text/html"
            elif fault == "empty_choices":
                data = json.dumps({**endpoint.complete(body), "choices": []}).encode()
                kind = "application/json"
            else:  # truncated
                data = json.dumps(endpoint.complete(body)).encode()
                kind = "application/json"
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if fault == "truncated":
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - the http.server API
            fault = endpoint._arrived()
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if self.path.rstrip("/") != "/v1/chat/completions":
                self._send(404, {"error": {"message": f"no route {self.path}"}})
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError as error:
                self._send(400, {"error": {"message": f"invalid JSON: {error}"}})
                return
            if fault is not None:
                self._misbehave(fault, body)
                self.wfile.flush()
                return
            if endpoint.latency_s > 0:
                time.sleep(endpoint.latency_s)
            self._send(200, endpoint.complete(body))
            self.wfile.flush()
            endpoint._replied()

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            pass

    return Handler
