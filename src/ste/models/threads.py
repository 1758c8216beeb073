"""How many threads llama.cpp uses for the next request.

With as many threads as cores, a token waits for whichever thread another busy process
preempted: on 2 cores a 1.5B model answered 3.2x slower beside one busy process, and 1.1x
with one thread fewer (`bench/contention.py`), which in turn is 1.5x slower on an idle
machine. So unless the user fixes the count (`STE_THREADS`, `ste --threads N`), each request
gets one thread per core while the machine is otherwise idle, and one fewer while other
processes kept at least half a core busy over the last half second. That is measured by a
daemon thread sampling `/proc/stat` and this process's own CPU time ten times a second
(Linux; elsewhere the count stays one per core).
"""

from __future__ import annotations

import collections
import os
import threading
import time
from pathlib import Path

from ste.errors import ModelError

PROC_STAT = Path("/proc/stat")
WINDOW_S = 0.5
EVERY_S = 0.1
BUSY_CORES = 0.5  # other work at least this many cores: leave it a core


def threads_from_environment() -> int | None:
    """`STE_THREADS`: a fixed number of llama.cpp threads (unset: chosen per request)."""
    value = os.environ.get("STE_THREADS", "").strip()
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise ModelError(f"STE_THREADS must be a whole number of threads >= 1, got {value!r}")
    return int(value)


def _busy_seconds() -> float | None:
    """CPU seconds the whole machine has been busy since boot (all cores)."""
    try:
        fields = PROC_STAT.read_text().split("\n", 1)[0].split()[1:]
    except OSError:
        return None
    ticks = [int(f) for f in fields]
    idle = ticks[3] + (ticks[4] if len(ticks) > 4 else 0)  # idle + iowait
    busy = sum(ticks[:8]) - idle  # user nice system idle iowait irq softirq steal
    return busy / os.sysconf("SC_CLK_TCK")


class CpuWatch:
    """How many cores processes other than this one kept busy over the last half second."""

    def __init__(self) -> None:
        self._samples: collections.deque[tuple[float, float, float]] = collections.deque(
            maxlen=int(WINDOW_S / EVERY_S) + 1
        )
        self._lock = threading.Lock()
        self.available = _busy_seconds() is not None
        if self.available:
            self._sample()
            threading.Thread(target=self._run, name="ste-cpu-watch", daemon=True).start()

    def _sample(self) -> None:
        busy = _busy_seconds()
        if busy is not None:
            with self._lock:
                self._samples.append((time.monotonic(), busy, time.process_time()))

    def _run(self) -> None:
        while True:
            time.sleep(EVERY_S)
            self._sample()

    def others(self) -> float:
        """Cores of other work over the window (0 before two samples exist)."""
        with self._lock:
            if len(self._samples) < 2:
                return 0.0
            (t0, busy0, own0), (t1, busy1, own1) = self._samples[0], self._samples[-1]
        if t1 - t0 <= 0:
            return 0.0
        return max(0.0, ((busy1 - busy0) - (own1 - own0)) / (t1 - t0))


_watch: CpuWatch | None = None


def threads_now(cores: int) -> int:
    """One thread per core, or one fewer while other processes keep the machine busy."""
    global _watch
    if cores <= 1:
        return 1
    if _watch is None:
        _watch = CpuWatch()
        time.sleep(EVERY_S * 2)  # a first window before the first request
    return cores - 1 if _watch.available and _watch.others() >= BUSY_CORES else cores
