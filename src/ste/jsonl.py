"""Append-only JSONL files: how every run, result and dataset folder records its work.

A line is appended (and, where losing it would cost model time, fsynced) as each piece of
work finishes, so a killed process keeps everything it finished. A last line cut by a kill
is repaired before anything is appended after it (the fragment is cut off, so the next
record starts on a line of its own), and skipped when reading: that piece of work is
simply done again.
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import IO, Any


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, in order; [] when it does not exist."""
    if not path.exists():
        return []
    records = []
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill mid-write
        if isinstance(record, dict):
            records.append(record)
    return records


def repair_torn_tail(path: Path) -> int:
    """Cut off a last line that a kill left without its newline; returns the bytes removed."""
    if not path.exists():
        return 0
    with path.open("rb+") as handle:
        size = handle.seek(0, os.SEEK_END)
        if size == 0:
            return 0
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return 0
        # find the end of the last complete line, reading backwards in blocks
        end, block = size, 65536
        while end > 0:
            start = max(0, end - block)
            handle.seek(start)
            newline = handle.read(end - start).rfind(b"\n")
            if newline >= 0:
                keep = start + newline + 1
                break
            end = start
        else:
            keep = 0
        handle.truncate(keep)
        return size - keep


class JsonlAppender:
    """One append-only JSONL file held open for a run; safe to call from several threads.

    Opening repairs a torn last line; each `append` writes one line and flushes it, and
    fsyncs it too unless `fsync=False` (for ledgers whose lines are cheap to lose).
    """

    def __init__(self, path: Path, *, fsync: bool = True) -> None:
        self.path = Path(path)
        self.fsync = fsync
        self._handle: IO[str] | None = None
        self._lock = threading.Lock()

    def open(self) -> JsonlAppender:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        repair_torn_tail(self.path)
        self._handle = self.path.open("a", encoding="utf-8")
        return self

    def append(self, record: dict[str, Any]) -> None:
        line = json.dumps(record, ensure_ascii=False) + "\n"
        with self._lock:
            if self._handle is None:
                raise RuntimeError(f"{self.path}: append() before open()")
            self._handle.write(line)
            self._handle.flush()
            if self.fsync:
                os.fsync(self._handle.fileno())

    def close(self) -> None:
        with self._lock:
            if self._handle is not None:
                self._handle.close()
                self._handle = None

    def __enter__(self) -> JsonlAppender:
        return self.open()

    def __exit__(self, *exc: object) -> None:
        self.close()


def append_jsonl(path: Path, record: dict[str, Any], *, fsync: bool = True) -> None:
    """Append one record to `path` (opened, repaired and closed for this one line)."""
    with JsonlAppender(path, fsync=fsync) as sink:
        sink.append(record)
