"""The openai:MODEL backend against a real HTTP server on 127.0.0.1 speaking the API."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ste.agent import run_agent
from ste.models import load_model
from ste.models.retry import RequestPolicy
from ste.tools import load_tools


class FakeEndpoint(BaseHTTPRequestHandler):
    """Answers /v1/chat/completions from a queue; a queued int is an HTTP error status."""

    replies: list = []
    requests: list = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers["Authorization"], **body}
        )
        reply = type(self).replies.pop(0)
        if isinstance(reply, int):
            self.send_response(reply)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b'{"error": {"message": "busy"}}')
            return
        message = {"role": "assistant", "content": reply.get("content")}
        if "tool_calls" in reply:
            message["tool_calls"] = reply["tool_calls"]
        payload = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def endpoint(monkeypatch):
    FakeEndpoint.replies, FakeEndpoint.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeEndpoint)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    yield f"http://127.0.0.1:{server.server_port}/v1"
    server.shutdown()


async def test_react_over_an_endpoint_with_retries_on_429_and_500(endpoint, toolboxes):
    FakeEndpoint.replies = [
        429,
        500,
        {"content": 'Thought: go\nAction: convert\nAction Input: {"value": 10, "unit": "km"}'},
        {"content": "Final Answer: 6.21 miles"},
    ]
    model = load_model("openai:test-model", base_url=endpoint, policy=RequestPolicy(backoff=0.01))
    tools = load_tools(str(toolboxes / "sample.py"))
    trajectory = await run_agent(model, tools, "10 km?")
    assert trajectory.final_answer == "6.21 miles"
    assert trajectory.steps[0].observation == '{"result": 6.21, "unit": "mi"}'
    assert len(FakeEndpoint.requests) == 4  # two retried failures, then two turns
    first = FakeEndpoint.requests[2]
    assert first["path"] == "/v1/chat/completions" and first["model"] == "test-model"
    assert first["auth"] == "Bearer sk-test"
    assert first["stop"] == ["\nObservation:", "Observation:"]
    assert trajectory.usage.prompt_tokens == 14 and trajectory.usage.calls == 2


async def test_native_tool_calls_over_an_endpoint(endpoint, toolboxes):
    FakeEndpoint.replies = [
        {
            "content": None,
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "convert", "arguments": '{"value": 10, "unit": "km"}'},
                }
            ],
        },
        {"content": "6.21 miles"},
    ]
    model = load_model("openai:test-model", base_url=endpoint)
    tools = load_tools(str(toolboxes / "sample.py"))
    trajectory = await run_agent(model, tools, "10 km?", protocol="native", seed=7)
    assert trajectory.final_answer == "6.21 miles"
    assert FakeEndpoint.requests[0]["tools"][0]["function"]["name"] == "convert"
    assert FakeEndpoint.requests[0]["seed"] == 7
    tool_turn = FakeEndpoint.requests[1]["messages"][-1]
    assert tool_turn == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": '{"result": 6.21, "unit": "mi"}',
    }
