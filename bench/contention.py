"""How much slower the embedded model answers when another busy process shares the CPU,
per llama.cpp thread count.

    .venv/bin/python bench/contention.py [--model M] [--items 4] [--threads auto,2,1]

For each thread count ("auto": ste's default, chosen per request from what else keeps the
machine busy, `ste.models.threads`) it loads the model, asks the first N bundled test queries as
`ste eval` does (ReAct, every bundled tool offered, first reply, greedy), once with the
machine otherwise idle and once beside a competing process that keeps one core busy (a
Python loop), alternating the two per query after one warm-up request. It prints the median
seconds per query alone and under load, the slowdown (load / alone), and how many replies
were the same both ways (the prefix cache is reused differently in the two orders, so a
reply may differ in a token; that is reported, not failed). Run it on a machine with
nothing else running. It exits 1 when a slowdown is over --target (default 2.5x) for the
default thread count.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import os
import statistics
import sys
import time

from ste.agent.loop import get_protocol
from ste.eval.testset import load_tests
from ste.models.base import Generation
from ste.models.local import LocalModel
from ste.models.registry import model_path
from ste.tools import BUNDLED_TESTS, load_tools


def _spin() -> None:
    while True:
        pass


async def _ask(model: LocalModel, messages: list, stop: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    response = await model.chat(messages, generation=Generation(max_tokens=128, stop=tuple(stop)))
    return time.perf_counter() - started, response.text


async def measure(spec: str, threads: int | None, items: int) -> dict[str, object]:
    tools = load_tools()
    queries = [item.query for item in load_tests(BUNDLED_TESTS)][:: max(1, 60 // items)][:items]
    protocol = get_protocol("react")
    stop = ["\nObservation:", "Observation:"]
    model = LocalModel(model_path(spec), name=spec, threads=threads)
    await _ask(model, protocol.first_messages(tools, "warm-up"), stop)
    seconds: dict[str, list[float]] = {"alone": [], "under load": []}
    replies: dict[str, list[str]] = {"alone": [], "under load": []}
    for index, query in enumerate(queries):
        order = ["alone", "under load"] if index % 2 == 0 else ["under load", "alone"]
        for condition in order:
            spinner = None
            if condition == "under load":
                spinner = multiprocessing.Process(target=_spin, daemon=True)
                spinner.start()
                time.sleep(0.5)  # let it take its core
            try:
                took, text = await _ask(model, protocol.first_messages(tools, query), stop)
            finally:
                if spinner is not None:
                    spinner.terminate()
                    spinner.join()
            seconds[condition].append(took)
            replies[condition].append(text)
    alone = statistics.median(seconds["alone"])
    loaded = statistics.median(seconds["under load"])
    return {
        "threads": threads or "auto",
        "alone": alone,
        "loaded": loaded,
        "slowdown": loaded / alone,
        "same": sum(a == b for a, b in zip(replies["alone"], replies["under load"], strict=True)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--items", type=int, default=4)
    parser.add_argument("--target", type=float, default=2.5)
    parser.add_argument(
        "--threads", default=f"auto,{os.cpu_count()},{max(1, (os.cpu_count() or 2) - 1)}"
    )
    args = parser.parse_args()
    counts = [None if t == "auto" else int(t) for t in args.threads.split(",")]
    print(
        f"{args.model}: {args.items} bundled queries, one competing busy process, "
        f"{os.cpu_count()} CPUs, load average before {os.getloadavg()[0]:.2f}"
    )
    print(f"{'threads':>8} {'alone s':>9} {'loaded s':>9} {'slowdown':>9}  replies")
    default = LocalModel(model_path(args.model), name=args.model).threads  # None: auto
    failed = False
    for threads in counts:
        row = asyncio.run(measure(args.model, threads, args.items))
        mark = " (the default)" if threads == default else ""
        print(
            f"{row['threads']!s:>8} {row['alone']:9.2f} {row['loaded']:9.2f} "
            f"{row['slowdown']:8.2f}x  {row['same']} of {args.items} the same{mark}"
        )
        if threads == default and row["slowdown"] > args.target:
            print(f"FAIL: the default's slowdown {row['slowdown']:.2f}x is over {args.target}x")
            failed = True
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
