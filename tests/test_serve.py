"""`ste serve` with the official openai client: demonstrations injected, pass-through,
streaming, bearer tokens."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import openai
import pytest
import uvicorn

from conftest import TOOLBOXES
from scripted import ScriptedModel, call
from ste.distill.pipeline import DistillSettings, distill, prepare
from ste.explore import ExploreSettings, RunDir, explore
from ste.explore.settings import manifest
from ste.icl.bank import DemoBank
from ste.icl.serve import EndpointUpstream, ModelUpstream, create_app
from ste.tools import load_tools
from test_explore import Explorer

TOOL_SPEC = {
    "type": "function",
    "function": {
        "name": "convert",
        "description": "Convert a distance",
        "parameters": {"type": "object", "properties": {"value": {"type": "number"}}},
    },
}


@pytest.fixture(scope="module")
def bank(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("bank")
    tools = load_tools(str(TOOLBOXES / "sample.py"))[:1]
    run_dir = RunDir(tmp / "run")
    settings = ExploreSettings(episodes=1, trials=2)
    run_dir.write_manifest(manifest("explorer", tools, settings))
    import asyncio

    asyncio.run(explore(Explorer(), tools, settings, run_dir))
    chosen = DistillSettings(judge=False, dedup="lexical", target_per_tool=0)
    trials, tool_map, _ = prepare(run_dir.path, tmp / "data", chosen, {}, False)
    asyncio.run(distill(trials, tool_map, tmp / "data", chosen, None, None))
    return DemoBank(tmp / "data", method="bm25")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve():
    servers = []

    def start(app) -> str:
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
        threading.Thread(target=server.run, daemon=True).start()
        deadline = time.time() + 10
        while not server.started and time.time() < deadline:
            time.sleep(0.02)
        servers.append(server)
        return f"http://127.0.0.1:{port}/v1"

    yield start
    for server in servers:
        server.should_exit = True


def test_requests_with_tools_get_demonstrations(serve, bank):
    upstream = ScriptedModel([call("convert", {"value": 3}), "plain answer"], name="up")
    url = serve(create_app(ModelUpstream(upstream), bank, k=2))
    client = openai.OpenAI(base_url=url, api_key="unused")
    raw = client.chat.completions.with_raw_response.create(
        model="anything",
        messages=[
            {"role": "system", "content": "You are an agent."},
            {"role": "user", "content": "How many miles is 3 km?"},
        ],
        tools=[TOOL_SPEC],
    )
    completion = raw.parse()
    assert raw.headers["x-ste-demonstrations"] == "2"
    (tool_call,) = completion.choices[0].message.tool_calls
    assert tool_call.function.name == "convert"
    assert json.loads(tool_call.function.arguments) == {"value": 3}
    assert completion.choices[0].finish_reason == "tool_calls"
    system = upstream.requests[0]["messages"][0]["content"]
    assert system.startswith("You are an agent.")
    assert "Examples of requests solved" in system and "How many miles is" in system
    assert upstream.requests[0]["tools"] == [TOOL_SPEC]

    # no tools: passed through unchanged
    plain = client.chat.completions.create(
        model="anything", messages=[{"role": "user", "content": "hi"}]
    )
    assert plain.choices[0].message.content == "plain answer"
    assert upstream.requests[1]["messages"] == [{"role": "user", "content": "hi"}]


def test_demonstrations_only_for_tools_the_bank_knows(serve, bank):
    upstream = ScriptedModel(["ok"])
    url = serve(create_app(ModelUpstream(upstream), bank))
    other = {**TOOL_SPEC, "function": {**TOOL_SPEC["function"], "name": "weather"}}
    raw = openai.OpenAI(base_url=url, api_key="x").chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "rain in Oslo?"}], tools=[other]
    )
    assert raw.headers["x-ste-demonstrations"] == "0"
    assert upstream.requests[0]["messages"] == [{"role": "user", "content": "rain in Oslo?"}]


def test_a_token_is_required_when_set(serve, bank):
    url = serve(create_app(ModelUpstream(ScriptedModel(["ok"])), bank, token="s3cret"))
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=url, api_key="wrong", max_retries=0).models.list()
    models = openai.OpenAI(base_url=url, api_key="s3cret").models.list()
    assert [m.id for m in models.data] == ["scripted"]


def test_in_process_models_stream_as_server_sent_events(serve, bank):
    url = serve(create_app(ModelUpstream(ScriptedModel(["streamed answer"])), bank))
    stream = openai.OpenAI(base_url=url, api_key="x").chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream)
    assert text == "streamed answer"


class FakeUpstream(BaseHTTPRequestHandler):
    requests: list = []

    def do_POST(self):  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append({"auth": self.headers["Authorization"], **body})
        if body.get("stream"):
            chunk = {
                "id": "c",
                "object": "chat.completion.chunk",
                "created": 0,
                "model": body["model"],
                "choices": [{"index": 0, "delta": {"content": "up-stream"}, "finish_reason": None}],
            }
            data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
            content_type = "text/event-stream"
        else:
            data = json.dumps(
                {
                    "id": "c",
                    "object": "chat.completion",
                    "created": 0,
                    "model": body["model"],
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "from upstream"},
                            "finish_reason": "stop",
                        }
                    ],
                }
            ).encode()
            content_type = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_endpoint_upstream_passes_requests_and_streams_through(serve, bank):
    FakeUpstream.requests = []
    fake = ThreadingHTTPServer(("127.0.0.1", 0), FakeUpstream)
    threading.Thread(target=fake.serve_forever, daemon=True).start()
    upstream = EndpointUpstream(f"http://127.0.0.1:{fake.server_port}/v1", "sk-up", "big-model")
    url = serve(create_app(upstream, bank, k=1))
    client = openai.OpenAI(base_url=url, api_key="x")
    reply = client.chat.completions.create(
        model="whatever",
        messages=[{"role": "user", "content": "5 km in miles?"}],
        tools=[TOOL_SPEC],
        temperature=0.3,
    )
    assert reply.choices[0].message.content == "from upstream"
    sent = FakeUpstream.requests[0]
    assert sent["model"] == "big-model" and sent["auth"] == "Bearer sk-up"
    assert sent["temperature"] == 0.3
    assert sent["messages"][0]["role"] == "system" and "Examples" in sent["messages"][0]["content"]
    stream = client.chat.completions.create(
        model="m", messages=[{"role": "user", "content": "hi"}], stream=True
    )
    assert "".join(c.choices[0].delta.content or "" for c in stream) == "up-stream"
    fake.shutdown()


# -- what ste serve refuses, and how an upstream's faults reach the client ---------------

import httpx  # noqa: E402

from ste.icl.chat_request import Limits  # noqa: E402
from ste.testing.scripted_endpoint import ScriptedEndpoint  # noqa: E402

HELLO = [{"role": "user", "content": "hi"}]


def _post(url: str, body, **kwargs) -> httpx.Response:
    if isinstance(body, (dict, list)):
        body = json.dumps(body)
    return httpx.post(f"{url}/chat/completions", content=body, timeout=10, **kwargs)


def test_a_body_over_the_limit_is_refused_before_it_is_read(serve, bank):
    upstream = ScriptedModel(["never"])
    url = serve(create_app(ModelUpstream(upstream), bank, limits=Limits(max_body_bytes=10_000)))
    too_big = json.dumps({"messages": [{"role": "user", "content": "x" * 50_000}]})
    reply = _post(url, too_big)
    assert reply.status_code == 413
    assert "over 10000 bytes" in reply.json()["error"]["message"]
    # sent in chunks with no Content-Length, it is cut off as it goes over
    chunks = (too_big[i : i + 4096].encode() for i in range(0, len(too_big), 4096))
    assert _post(url, chunks).status_code == 413
    assert upstream.requests == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ("{not json", "not JSON"),
        ([1, 2], "JSON object"),
        ({"messages": [1, 2]}, "messages.0"),
        ({"messages": []}, "messages"),
        ({"messages": [{"role": "robot", "content": "hi"}]}, "messages.0.role"),
        ({"messages": HELLO, "tools": [{"type": "function", "function": "convert"}]}, "tools.0"),
        ({"messages": HELLO, "tools": [{"function": {"description": "no name"}}]}, "name"),
        ({"messages": HELLO, "max_tokens": 100_000}, "over this server's limit of 4096"),
        ({"messages": HELLO, "max_tokens": 0}, "max_tokens"),
        ('{"messages": [{"role": "user", "content": "hi"}], "temperature": NaN}', "temperature"),
        ("[" * 100_000 + "]" * 100_000, "not JSON"),
        ('{"messages": [], "n": ' + "9" * 5000 + "}", "not JSON"),
    ],
)
def test_a_body_that_is_no_chat_request_is_a_400_naming_why(serve, bank, body, reason):
    upstream = ScriptedModel(["never"])
    url = serve(create_app(ModelUpstream(upstream), bank))
    reply = _post(url, body)
    assert reply.status_code == 400, reply.text
    assert reason in reply.json()["error"]["message"]
    assert upstream.requests == []


def test_retrieval_does_not_hold_up_other_requests(serve, bank):
    """While one request's query is being embedded, /v1/models still answers: retrieval
    runs off the event loop (on the loop, this would deadlock until the timeout)."""
    release, entered = threading.Event(), threading.Event()

    class SlowBank:
        def retrieve(self, query, names, k, prefer=None):
            entered.set()
            assert release.wait(10)
            return bank.retrieve(query, names, k, prefer)

    url = serve(create_app(ModelUpstream(ScriptedModel(["ok"])), SlowBank()))  # type: ignore[arg-type]
    results = []
    chat = threading.Thread(
        target=lambda: results.append(
            _post(url, {"messages": [{"role": "user", "content": "5 km?"}], "tools": [TOOL_SPEC]})
        )
    )
    chat.start()
    assert entered.wait(5)
    models = httpx.get(f"{url}/models", timeout=5)
    release.set()
    chat.join(10)
    assert models.status_code == 200
    assert results[0].status_code == 200


@pytest.mark.parametrize(
    ("fault", "status", "said"),
    [
        ("429", 429, "scripted 429"),
        ("500", 502, "HTTP 500"),
        ("garbage", 502, "not JSON"),
        ("reset", 502, "unreachable"),
        ("truncated", 502, "broke off"),
        ("hang", 504, "within 0.5 s"),
    ],
)
def test_upstream_faults_become_statuses_a_client_can_act_on(serve, bank, fault, status, said):
    with ScriptedEndpoint(fault=fault, hang_s=3) as endpoint:
        upstream = EndpointUpstream(endpoint.base_url, None, "m", timeout=0.5)
        url = serve(create_app(upstream, bank))
        reply = _post(url, {"messages": HELLO})
    assert reply.status_code == status, reply.text
    assert said in json.dumps(reply.json())
    if fault == "429":
        assert reply.headers["retry-after"] == "0"


def test_an_upstream_that_is_down_is_a_502(serve, bank):
    upstream = EndpointUpstream(f"http://127.0.0.1:{_free_port()}/v1", None, "m", timeout=2)
    url = serve(create_app(upstream, bank))
    reply = _post(url, {"messages": HELLO})
    assert reply.status_code == 502
    assert "unreachable" in reply.json()["error"]["message"]
    assert httpx.get(f"{url}/models", timeout=5).status_code == 502


NOTES = {
    "convert": ["unit is 'km' or 'mi', never 'miles'."],
    "weather": ["city names take a country code: 'Oslo, NO'."],
}
WEATHER_SPEC = {
    "type": "function",
    "function": {
        "name": "weather",
        "description": "The weather forecast for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
    },
}


def test_the_routed_tools_notes_go_in_the_system_message(serve, bank):
    upstream = ScriptedModel(["ok", "ok"])
    url = serve(create_app(ModelUpstream(upstream), bank, k=1, notes=NOTES))
    client = openai.OpenAI(base_url=url, api_key="x")
    raw = client.chat.completions.with_raw_response.create(
        model="m",
        messages=[{"role": "user", "content": "Will it rain in Oslo tomorrow? Forecast please."}],
        tools=[TOOL_SPEC, WEATHER_SPEC],
    )
    assert raw.headers["x-ste-notes"] == "weather"
    system = upstream.requests[0]["messages"][0]["content"]
    assert system.endswith("- city names take a country code: 'Oslo, NO'.")
    assert "never 'miles'" not in system
    assert upstream.requests[0]["tools"] == [TOOL_SPEC, WEATHER_SPEC]  # descriptions as sent

    every = serve(create_app(ModelUpstream(upstream), None, notes=NOTES, notes_for="all"))
    raw = openai.OpenAI(base_url=every, api_key="x").chat.completions.with_raw_response.create(
        model="m", messages=[{"role": "user", "content": "3 km in miles?"}], tools=[TOOL_SPEC]
    )
    assert raw.headers["x-ste-notes"] == ""
    sent = upstream.requests[1]
    assert "never 'miles'" in sent["tools"][0]["function"]["description"]
    assert sent["messages"] == [{"role": "user", "content": "3 km in miles?"}]


def test_the_routed_tools_demonstrations_come_first(tmp_path):
    from ste.icl.chat_request import Limits, parse_request
    from ste.icl.serve import inject_demonstrations
    from test_icl import example, write_dataset

    weather = example(1, "weather", "How far will the rain travel, in km?", 1)
    convert = example(2, "convert", "Kilometres from Oslo to Bergen as miles", 2)
    data = write_dataset(tmp_path / "data", [(weather, "train"), (convert, "train")])
    bank = DemoBank(data, method="lexical")
    raw = {
        "model": "m",
        "messages": [{"role": "user", "content": "Will it rain in 3 km? Convert 3 km to miles"}],
        "tools": [TOOL_SPEC, WEATHER_SPEC],
    }
    body, request = parse_request(json.dumps(raw).encode(), Limits())
    assert bank.retrieve(request.latest_user_text(), None, k=1)[0].example.tool == "weather"
    sent, shown = inject_demonstrations(body, request, bank, k=1, token_budget=800)
    assert shown == 1
    assert "Kilometres from Oslo to Bergen" in sent["messages"][0]["content"]
