"""What running a Python tool in a worker process costs per call, against in process.

Loads one toolbox two ways, `load_python_tools(path)` (each call in a `ste.tools.worker` process)
and `load_python_tools(path, isolated=False)` (a thread of this process, as before workers), and
times `ste.tools.execute.execute` on the same calls: a trivial tool (the overhead itself), a
tool returning 100 KB (the transfer), and the first call of a fresh pool (the worker's
start-up, paid once per worker). Medians over --calls calls, measured side by side in one
run; then a batch of --concurrent calls at once, to show workers run concurrent calls in
parallel where threads share one interpreter.

    .venv/bin/python bench/worker_overhead.py            # about 30 s
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from ste.tools.execute import execute
from ste.tools.python_source import load_python_tools

TOOLBOX = '''"""Tools for the worker benchmark."""


def echo(x: int = 0) -> dict:
    """Return x.

    Args:
        x: Any whole number.
    """
    return {"x": x}


def blob(n: int = 100000) -> dict:
    """Return n characters.

    Args:
        n: How many characters.
    """
    return {"text": "a" * n}


def spin(n: int = 4000000) -> dict:
    """Count to n (fixed CPU work, about 0.2 s).

    Args:
        n: How far to count.
    """
    total = 0
    for i in range(n):
        total += i
    return {"total": total}
'''


async def _timed(tool, arguments, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        result = await execute(tool, arguments, timeout=30)
        seconds.append(time.perf_counter() - start)
        assert result.ok, result.observation
    return seconds


async def _batch(tool, concurrent: int) -> float:
    start = time.perf_counter()
    results = await asyncio.gather(
        *(execute(tool, {"n": 4_000_000}, timeout=30) for _ in range(concurrent))
    )
    assert all(r.ok for r in results)
    return time.perf_counter() - start


async def main(calls: int, concurrent: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "toolbox.py"
        path.write_text(TOOLBOX)
        rows = []
        for label, isolated in (("in process", False), ("worker", True)):
            tools = {t.name: t for t in load_python_tools(str(path), isolated=isolated)}
            start = time.perf_counter()
            await execute(tools["echo"], {"x": 1}, timeout=30)
            first = time.perf_counter() - start
            echo = statistics.median(await _timed(tools["echo"], {"x": 1}, calls))
            blob = statistics.median(await _timed(tools["blob"], {"n": 100_000}, calls))
            await _batch(tools["spin"], concurrent)  # start the workers the batch needs
            batch = await _batch(tools["spin"], concurrent)
            rows.append((label, first, echo, blob, batch))
    print(f"{calls} calls each, median; batch: {concurrent} CPU-bound calls (count to 4M) at once")
    print(f"{'':12} {'first call ms':>14} {'echo ms':>9} {'100 KB ms':>10} {'batch s':>8}")
    for label, first, echo, blob, batch in rows:
        print(
            f"{label:12} {first * 1000:14.2f} {echo * 1000:9.3f} {blob * 1000:10.3f} {batch:8.2f}"
        )
    (_, _, echo_in, blob_in, _), (_, _, echo_w, blob_w, _) = rows
    print(
        f"worker overhead per call: {(echo_w - echo_in) * 1000:.3f} ms (echo), "
        f"{(blob_w - blob_in) * 1000:.3f} ms (100 KB)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--concurrent", type=int, default=4)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.concurrent))
