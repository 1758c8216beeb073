"""`ste serve` under load: concurrent clients on 127.0.0.1, latency percentiles and errors.

Builds a small real dataset first (`ste explore` of ten trivial tools against the scripted
endpoint, which calls them with `{}`, then `ste distill` without the judge), starts the
real CLI

    ste serve --demos DATA --upstream openai:scripted --base-url SCRIPTED --port P

(retrieval by embedding when sentence-transformers is installed), and for --seconds runs
--clients concurrent clients, each posting chat requests that offer those tools (so
each one is embedded and gets demonstrations), while a prober asks GET /v1/models every
100 ms: its latency shows whether retrieval holds up the event loop. Then a 50 MB body
(must be a 413, answered before it is read) and malformed bodies (must be 400s).

    .venv/bin/python bench/serve_load.py                 # about 1.5 minutes
    .venv/bin/python bench/serve_load.py --clients 32 --seconds 30
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from ste.testing.scripted_endpoint import ScriptedEndpoint
from ste.tools import load_tools

STE = [sys.executable, "-m", "ste.cli"]
TOOLBOX = '''"""Ten trivial tools."""
{}'''
TOOL = '''

def {name}(x: int = 0) -> dict:
    """Say that this tool saw the request (no numbers: the scripted "ok" answers it).

    Args:
        x: Any whole number.
    """
    return {{"tool": "{name}", "status": "seen"}}
'''
QUERIES = [
    "How many days are there between 2024-02-01 and 2024-03-15?",
    "Convert 12 miles to kilometres please",
    "What is the SHA-256 of the word hello?",
    "Is 7919 a prime number?",
    "What does HTTP status 418 mean?",
    "Word count of 'the quick brown fox'",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _run(*arguments: str) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-local"}  # the scripted endpoint takes any key
    result = subprocess.run(
        [*STE, *arguments], capture_output=True, text=True, timeout=600, env=env
    )
    if result.returncode != 0:
        raise SystemExit(f"ste {' '.join(arguments[:2])} failed:\n{result.stderr}")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def _client(
    url: str, body: dict, until: float, latencies: list, statuses: list, shown: list
) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        i = 0
        while time.perf_counter() < until:
            request = {**body, "messages": [{"role": "user", "content": QUERIES[i % 6]}]}
            i += 1
            start = time.perf_counter()
            try:
                reply = await client.post(f"{url}/chat/completions", json=request)
                statuses.append(reply.status_code)
                shown.append(int(reply.headers.get("x-ste-demonstrations", 0)))
            except httpx.HTTPError as error:
                statuses.append(type(error).__name__)
            latencies.append(time.perf_counter() - start)


async def _prober(url: str, until: float, latencies: list) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        while time.perf_counter() < until:
            start = time.perf_counter()
            await client.get(f"{url}/models")
            latencies.append(time.perf_counter() - start)
            await asyncio.sleep(0.1)


async def _load(url: str, tools: list[dict], clients: int, seconds: float) -> dict:
    body = {"model": "any", "tools": tools}
    chat, models, statuses, shown = [], [], [], []
    until = time.perf_counter() + seconds
    await asyncio.gather(
        _prober(url, until, models),
        *(_client(url, body, until, chat, statuses, shown) for _ in range(clients)),
    )
    async with httpx.AsyncClient(timeout=120) as client:
        start = time.perf_counter()
        big = await client.post(
            f"{url}/chat/completions",
            content=b'{"messages": [{"role": "user", "content": "' + b"x" * 50_000_000 + b'"}]}',
            headers={"content-type": "application/json"},
        )
        big_s = time.perf_counter() - start
        bad = [
            (await client.post(f"{url}/chat/completions", content=payload)).status_code
            for payload in (b'{"messages": [1, 2]}', b"[", b'{"messages": [], "max_tokens": 1}')
        ]
    errors = [s for s in statuses if s != 200]
    return {
        "requests": len(chat),
        "errors": len(errors),
        "error_kinds": sorted({str(s) for s in errors}),
        "throughput": len(chat) / seconds,
        "shown": sum(shown) / max(1, len(shown)),
        "chat_p50": _percentile(chat, 0.5),
        "chat_p99": _percentile(chat, 0.99),
        "models_p50": _percentile(models, 0.5),
        "models_p99": _percentile(models, 0.99),
        "models_max": max(models),
        "big_status": big.status_code,
        "big_s": big_s,
        "bad_statuses": bad,
    }


def main(clients: int, seconds: float, latency: float) -> None:
    env = {**os.environ, "OPENAI_API_KEY": "sk-local"}
    with tempfile.TemporaryDirectory() as folder, ScriptedEndpoint(latency_s=latency) as up:
        toolbox = Path(folder) / "toolbox.py"
        names = [f"tool_{i:02d}" for i in range(1, 11)]
        toolbox.write_text(TOOLBOX.format("".join(TOOL.format(name=n) for n in names)))
        tools = [t.openai_spec() for t in load_tools(str(toolbox))]
        run, data = Path(folder) / "run", Path(folder) / "data"
        _run(
            "explore",
            str(toolbox),
            "--model",
            "openai:scripted",
            "--base-url",
            up.base_url,
            "--out",
            str(run),
            "--episodes",
            "2",
            "--trials",
            "3",
        )
        _run(
            "distill",
            str(run),
            "--out",
            str(data),
            "--no-judge-check",
            "--target-per-tool",
            "0",
            "--dedup",
            "lexical",
            "--dedup-threshold",
            "1.0",
        )
        examples = len((data / "examples.jsonl").read_text().splitlines())
        port = _free_port()
        server = subprocess.Popen(
            [*STE, "serve", "--demos", str(data), "--upstream", "openai:scripted",
             "--base-url", up.base_url, "--port", str(port)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            assert server.stdout is not None
            banner = server.stdout.readline() + server.stdout.readline()
            url = f"http://127.0.0.1:{port}/v1"
            deadline = time.time() + 120
            while True:
                try:
                    httpx.get(f"{url}/models", timeout=2)
                    break
                except httpx.HTTPError:
                    if time.time() > deadline or server.poll() is not None:
                        raise SystemExit(f"ste serve did not start: {banner}") from None
                    time.sleep(0.2)
            upstream_before = up.arrivals
            result = asyncio.run(_load(url, tools, clients, seconds))
            upstream = up.arrivals - upstream_before
        finally:
            server.terminate()
            server.wait(10)
    print(banner.strip())
    print(
        f"{clients} clients for {seconds:g} s, {examples} demonstrations, "
        f"scripted upstream latency {latency * 1000:.0f} ms"
    )
    print(
        f"chat: {result['requests']} requests ({result['throughput']:.1f}/s), "
        f"p50 {result['chat_p50'] * 1000:.0f} ms, p99 {result['chat_p99'] * 1000:.0f} ms, "
        f"errors {result['errors']} {result['error_kinds'] or ''}, upstream saw {upstream}, "
        f"{result['shown']:.1f} demonstrations per request"
    )
    print(
        f"/v1/models during the load: p50 {result['models_p50'] * 1000:.1f} ms, "
        f"p99 {result['models_p99'] * 1000:.1f} ms, max {result['models_max'] * 1000:.1f} ms"
    )
    print(
        f"50 MB body: HTTP {result['big_status']} in {result['big_s']:.2f} s; "
        f"malformed bodies: {json.dumps(result['bad_statuses'])}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--latency", type=float, default=0.05, help="the upstream's, seconds")
    arguments = parser.parse_args()
    main(arguments.clients, arguments.seconds, arguments.latency)
