"""A toolbox evaluated through `ste mcp-serve` gives the same calls and results as directly.

Loads a benchmark's toolbox twice, with the Python loader and through an MCP config that
runs `ste mcp-serve TOOLBOX` (ste's MCP client talking to ste's MCP server over stdio), and
runs `ste eval` both ways with the same scripted model: its reply to each item is a call
derived from the item (the expected call, every other item with one argument changed, so
both right and wrong calls are compared). Prints how many items agree on the call, the
scores and the executed results, and the median seconds per tool call each way.

    .venv/bin/python bench/mcp_round_trip.py                     # ../shared/bench/dev if present
    .venv/bin/python bench/mcp_round_trip.py --bench path/to/bench
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
from ste.eval.testset import load_tests
from ste.models.base import ChatResponse, Usage
from ste.tools import execute, load_tools
from ste.tools.python_source import BUNDLED_TOOLBOX

SHARED_DEV = Path(__file__).resolve().parents[2] / "shared" / "bench" / "dev"


class ExpectedCaller:
    """Replies to each query with a ReAct call built from that item's expected call."""

    name = "scripted"
    max_concurrency = 1

    def __init__(self, replies: dict[str, str]) -> None:
        self.replies = replies

    async def chat(self, messages: list[dict], **_: Any) -> ChatResponse:
        query = next(m["content"] for m in reversed(messages) if m["role"] == "user")
        reply = next(text for q, text in self.replies.items() if q in query)
        return ChatResponse(text=reply, usage=Usage(calls=1))


def _altered(arguments: dict[str, Any]) -> dict[str, Any]:
    changed = dict(arguments)
    for key, value in arguments.items():
        if isinstance(value, str):
            changed[key] = value + "x"
            break
        if isinstance(value, int | float) and not isinstance(value, bool):
            changed[key] = value + 1
            break
    return changed


async def main(bench: Path) -> None:
    toolbox = bench / "toolbox.py" if bench.is_dir() else BUNDLED_TOOLBOX
    tests = bench / "tests.jsonl" if bench.is_dir() else BUNDLED_TOOLBOX.parent / "tests.jsonl"
    work = Path(tempfile.mkdtemp(prefix="ste-mcp-round-trip-"))
    config = work / "mcp.json"
    serve = [str(toolbox.resolve())]
    launcher = ["-c", "from ste.cli import app; app()", "mcp-serve", *serve]
    config.write_text(
        json.dumps({"mcpServers": {"ste": {"command": sys.executable, "args": launcher}}})
    )
    direct, served = load_tools(str(toolbox)), load_tools(str(config))
    items = load_tests(tests, [t.name for t in direct])
    replies = {}
    for index, item in enumerate(items):
        call = item.expected[0]
        arguments = call.arguments if index % 2 == 0 else _altered(call.arguments)
        replies[item.query] = f"Action: {call.name}\nAction Input: {json.dumps(arguments)}"
    # every tool runs both ways: through MCP an unmarked Python tool is `unknown`
    settings = EvalSettings(allow_side_effects="all")
    records = {}
    for label, tools in (("python", direct), ("mcp", served)):
        out = work / label
        model = ExpectedCaller(replies)
        prepare_out_dir(out, settings.manifest(model, tests, tools), force=False)
        records[label] = {r.id: r for r in await run_eval(model, tools, items, out, settings)}
    fields = ("call", "well_formed", "api_match", "correct", "exec_equivalent", "exec_reason")
    same = sum(
        all(getattr(records["python"][i], f) == getattr(records["mcp"][i], f) for f in fields)
        for i in records["python"]
    )
    timings = {}
    for label, tools in (("python", direct), ("mcp", served)):
        by_name = {t.name: t for t in tools}
        seconds = []
        for item in items:
            started = time.perf_counter()
            await execute(by_name[item.expected[0].name], item.expected[0].arguments)
            seconds.append(time.perf_counter() - started)
        timings[label] = statistics.median(seconds) * 1000
    correct = {k: sum(r.correct for r in v.values()) for k, v in records.items()}
    print(f"bench: {bench if bench.is_dir() else 'the bundled tools'} ({len(items)} items)")
    print(f"items whose call, scores and executed result agree: {same}/{len(items)}")
    print(f"correct: python {correct['python']}, mcp {correct['mcp']}")
    print(
        f"median per tool call: python {timings['python']:.2f} ms, "
        f"through mcp-serve {timings['mcp']:.2f} ms"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bench", type=Path, default=SHARED_DEV)
    asyncio.run(main(parser.parse_args().bench))
