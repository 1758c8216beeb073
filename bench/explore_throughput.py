"""How fast does `ste explore` go when the model is fast? Throughput against a scripted endpoint.

Builds a toolbox of 20 trivial tools, starts a `ScriptedEndpoint` that answers every request
after a fixed latency (0.1 s), and times the real CLI (`ste explore ... --model
openai:scripted --base-url URL`) in a subprocess at concurrency 1 and at concurrency = the
number of tools. Each trial is 4 requests (imagine, action, final answer, reflection), so a
tool's chain is episodes x trials x 4 requests and the ideal time is that chain x latency
(times the number of tools at concurrency 1). Medians of 3 runs; the process start-up
(`ste --version`, timed the same way) is subtracted to give the explore time.

    .venv/bin/python bench/explore_throughput.py [--repeats 3] [--latency 0.1]

Targets: efficiency (ideal / explore time) >= 0.8 when concurrency >= tools; client
overhead < 2 ms per request. Any PROBLEM or FAIL line makes the exit status 1.
"""

from __future__ import annotations

import argparse
import math
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ste.testing.scripted_endpoint import ScriptedEndpoint

STE = [sys.executable, "-c", "from ste.cli import app; app()"]
REQUESTS_PER_TRIAL = 4
EFFICIENCY_TARGET = 0.8
OVERHEAD_TARGET_MS = 2.0

TOOL = '''

def tool_{n:02d}(x: int = 0) -> dict:
    """Return the number of tool {n} together with x.

    Args:
        x: Any whole number.
    """
    return {{"tool": {n}, "x": x}}
'''


def write_toolbox(folder: Path, tools: int) -> Path:
    path = folder / "bench_tools.py"
    body = "".join(TOOL.format(n=n) for n in range(1, tools + 1))
    path.write_text('"""Trivial tools for the explore throughput benchmark."""\n' + body)
    return path


IMPORTS = (
    "import openai, ste.cli, ste.explore, ste.explore.report, ste.models.openai_endpoint, ste.tools"
)


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


@dataclass
class Timed:
    wall_s: float
    cpu_s: float  # the child's user + system CPU time
    done: subprocess.CompletedProcess


def timed(command: list[str], env: dict[str, str]) -> Timed:
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    return Timed(time.perf_counter() - started, _children_cpu() - cpu, done)


def median_of(runs: list[Timed]) -> tuple[float, float]:
    return statistics.median(r.wall_s for r in runs), statistics.median(r.cpu_s for r in runs)


@dataclass
class Row:
    concurrency: int
    wall_s: float
    explore_s: float
    ideal_s: float
    requests: int
    critical_requests: int
    latency_s: float
    cpu_ms: float  # the client's CPU per request, explore's imports subtracted
    server_cpu_ms: float  # the scripted endpoint's CPU per request (this process)
    busy_s: float  # first request to last reply, as the endpoint saw them

    @property
    def busy_efficiency(self) -> float:
        return self.ideal_s / self.busy_s

    @property
    def efficiency(self) -> float:
        return self.ideal_s / self.explore_s

    @property
    def overhead_ms(self) -> float | None:
        """Client time per request beyond the latency; only meaningful when every request is
        on the critical path (concurrency 1)."""
        if self.concurrency != 1:
            return None
        waited = self.critical_requests * self.latency_s
        return 1000 * (self.explore_s - waited) / self.critical_requests


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tools", type=int, default=20)
    parser.add_argument("--episodes", type=int, default=2)
    parser.add_argument("--trials", type=int, default=2)
    parser.add_argument("--latency", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    env = {**os.environ, "OPENAI_API_KEY": "sk-local", "NO_COLOR": "1"}
    env.pop("OPENAI_BASE_URL", None)
    chain = args.episodes * args.trials * REQUESTS_PER_TRIAL
    expected_trials = args.tools * args.episodes * args.trials

    startups, imports = [], []
    for _ in range(max(5, args.repeats)):
        startups.append(timed([*STE, "--version"], env))
        imports.append(timed([sys.executable, "-c", IMPORTS], env))
        for run in (startups[-1], imports[-1]):
            if run.done.returncode != 0:
                sys.exit(f"{run.done.args} failed:\n{run.done.stderr}")
    startup, _ = median_of(startups)
    imports_wall, imports_cpu = median_of(imports)

    rows: list[Row] = []
    problems: list[str] = []
    with (
        tempfile.TemporaryDirectory(prefix="ste-bench-") as folder,
        ScriptedEndpoint(latency_s=args.latency) as endpoint,
    ):
        toolbox = write_toolbox(Path(folder), args.tools)
        for concurrency in (1, args.tools):
            runs, counts, server_cpu, busy = [], [], [], []
            for repeat in range(args.repeats):
                run_dir = Path(folder) / f"run-c{concurrency}-{repeat}"
                endpoint.reset()
                cpu_before = time.process_time()
                run = timed(
                    [
                        *STE,
                        "explore",
                        str(toolbox),
                        "--model",
                        "openai:scripted",
                        "--base-url",
                        endpoint.base_url,
                        "--out",
                        str(run_dir),
                        "--episodes",
                        str(args.episodes),
                        "--trials",
                        str(args.trials),
                        "--concurrency",
                        str(concurrency),
                    ],
                    env,
                )
                if run.done.returncode != 0:
                    sys.exit(f"ste explore failed ({run.done.returncode}):\n{run.done.stderr}")
                lines = (run_dir / "trials.jsonl").read_text().splitlines()
                if len(lines) != expected_trials:
                    problems.append(
                        f"c={concurrency} run {repeat}: {len(lines)} trial lines, "
                        f"expected {expected_trials}"
                    )
                if endpoint.requests != expected_trials * REQUESTS_PER_TRIAL:
                    problems.append(
                        f"c={concurrency} run {repeat}: {endpoint.requests} requests, expected "
                        f"{expected_trials * REQUESTS_PER_TRIAL} ({dict(endpoint.kinds)})"
                    )
                server_cpu.append((time.process_time() - cpu_before) / endpoint.requests)
                busy.append(endpoint.busy_s)
                runs.append(run)
                counts.append(endpoint.requests)
            wall, cpu = median_of(runs)
            rounds = math.ceil(args.tools / concurrency)  # tools one after another per slot
            critical = statistics.median(counts) if concurrency == 1 else rounds * chain
            rows.append(
                Row(
                    concurrency=concurrency,
                    wall_s=wall,
                    explore_s=wall - startup,
                    ideal_s=rounds * chain * args.latency,
                    requests=int(statistics.median(counts)),
                    critical_requests=int(critical),
                    latency_s=args.latency,
                    cpu_ms=1000 * (cpu - imports_cpu) / statistics.median(counts),
                    server_cpu_ms=1000 * statistics.median(server_cpu),
                    busy_s=statistics.median(busy),
                )
            )

    print(
        f"ste explore: {args.tools} tools x {args.episodes} episodes x {args.trials} trials, "
        f"{REQUESTS_PER_TRIAL} requests per trial, latency {args.latency:g} s, "
        f"median of {args.repeats}; start-up (ste --version) {startup:.3f} s subtracted; "
        f"{os.cpu_count()} CPUs, load average before {load}"
    )
    columns = [
        ("concurrency", 11),
        ("wall s", 7),
        ("explore s", 9),
        ("ideal s", 7),
        ("efficiency", 10),
        ("requests", 8),
        ("overhead ms/req", 15),
        ("busy s", 6),
        ("busy eff", 8),
        ("client cpu ms/req", 17),
        ("server cpu ms/req", 17),
    ]
    print(" ".join(f"{name:>{width}}" for name, width in columns))
    for row in rows:
        overhead = "-" if row.overhead_ms is None else f"{row.overhead_ms:.2f}"
        cells = [
            str(row.concurrency),
            f"{row.wall_s:.2f}",
            f"{row.explore_s:.2f}",
            f"{row.ideal_s:.2f}",
            f"{row.efficiency:.2f}",
            str(row.requests),
            overhead,
            f"{row.busy_s:.2f}",
            f"{row.busy_efficiency:.2f}",
            f"{row.cpu_ms:.2f}",
            f"{row.server_cpu_ms:.2f}",
        ]
        print(" ".join(f"{cell:>{width}}" for cell, (_, width) in zip(cells, columns, strict=True)))
    print(
        f"importing what explore needs takes {imports_wall:.2f} s ({imports_cpu:.2f} s CPU) in a "
        f"process of its own, against {startup:.2f} s for `ste --version`: only the latter is "
        "subtracted from the explore time, the former's CPU from the client CPU"
    )
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if not problems:
        print(f"trials.jsonl: {expected_trials} lines in every run")

    full = [r for r in rows if r.concurrency >= args.tools]
    efficiency = min(r.efficiency for r in full)
    overhead = next(r.overhead_ms for r in rows if r.overhead_ms is not None)
    assert overhead is not None
    failed = bool(problems)
    verdict = "PASS" if efficiency >= EFFICIENCY_TARGET else "FAIL"
    failed |= verdict == "FAIL"
    print(
        f"{verdict}: efficiency at concurrency >= tools {efficiency:.2f} "
        f"(target >= {EFFICIENCY_TARGET})"
    )
    verdict = "PASS" if overhead < OVERHEAD_TARGET_MS else "FAIL"
    failed |= verdict == "FAIL"
    print(
        f"{verdict}: client overhead {overhead:.2f} ms per request (target < {OVERHEAD_TARGET_MS})"
    )
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
