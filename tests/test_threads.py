"""Thread counts for the embedded model: fixed by the user, or chosen per request from
what else keeps the machine busy (`ste.models.threads`)."""

import multiprocessing
import time

import pytest

from ste.errors import ModelError
from ste.models import threads as chooser


def _spin() -> None:
    while True:
        pass


def test_other_busy_work_is_seen_and_leaves_it_a_core(monkeypatch):
    watch = chooser.CpuWatch()
    if not watch.available:
        pytest.fail("/proc/stat is not readable here")
    spinner = multiprocessing.Process(target=_spin, daemon=True)
    spinner.start()
    try:
        time.sleep(chooser.WINDOW_S + 0.3)
        assert watch.others() >= chooser.BUSY_CORES  # another process's core
        monkeypatch.setattr(chooser, "_watch", watch)
        assert chooser.threads_now(2) == 1 and chooser.threads_now(4) == 3
    finally:
        spinner.terminate()
        spinner.join()


def test_an_idle_machine_gets_a_thread_per_core(monkeypatch):
    class Idle:
        available = True

        def others(self) -> float:
            return 0.1

    monkeypatch.setattr(chooser, "_watch", Idle())
    assert chooser.threads_now(2) == 2 and chooser.threads_now(1) == 1


def test_a_fixed_count_comes_from_the_environment(monkeypatch):
    monkeypatch.setenv("STE_THREADS", "3")
    assert chooser.threads_from_environment() == 3
    monkeypatch.setenv("STE_THREADS", "zero")
    with pytest.raises(ModelError, match="STE_THREADS must be a whole number"):
        chooser.threads_from_environment()
