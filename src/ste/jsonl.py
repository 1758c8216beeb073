"""Append-only JSONL files: how every run, result and dataset folder records its work.

A line is appended (and, where losing it would cost model time, fsynced) as each piece of
work finishes, so a killed process keeps everything it finished. A last line cut by a kill
is repaired before anything is appended after it (the fragment is cut off, so the next
record starts on a line of its own), and skipped when reading: that piece of work is
simply done again. Any other line that is not a JSON object (not UTF-8, not JSON, a list)
is an error naming the file and line: the file was edited or is not ste's, and guessing
past it could lose or redo work. Lines are written as strict JSON (no NaN or Infinity).
"""

from __future__ import annotations

import json
import math
import os
import threading
from pathlib import Path
from typing import IO, Any

from ste.errors import SteError


def numbered_records(path: Path) -> list[tuple[str, dict[str, Any]]]:
    """("FILE:LINE", object) for each line of a JSONL file, in order; [] when it does not
    exist. A torn last line is skipped; any other line that is no JSON object is an SteError
    naming it."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        return []
    except OSError as error:
        raise SteError(f"{path}: unreadable ({error.strerror})") from None
    lines = data.split(b"\n")
    torn = lines.pop()  # b"" after a final newline; else a line a kill cut short
    records = []
    for number, raw in enumerate(lines, 1):
        where = f"{path}:{number}"
        if not raw.strip():
            continue
        try:
            record = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            raise SteError(f"{where}: not UTF-8 text; ste writes JSON lines in UTF-8") from None
        except (json.JSONDecodeError, RecursionError, ValueError) as error:
            raise SteError(
                f"{where}: not a JSON line ({error}); was the file edited? fix or remove the line"
            ) from None
        if not isinstance(record, dict):
            raise SteError(f"{where}: a JSON {type(record).__name__}, not an object")
        records.append((where, record))
    if torn.strip():
        try:
            record = json.loads(torn.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError, ValueError):
            record = None  # cut by a kill mid-write: that work is done again
        if isinstance(record, dict):
            records.append((f"{path}:{len(lines) + 1}", record))
    return records


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The JSON objects of a JSONL file, in order; [] when it does not exist (see
    `numbered_records` for what is skipped and what is an error)."""
    return [record for _, record in numbered_records(path)]


def _finite(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {key: _finite(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(item) for item in value]
    return value


def dumps(record: dict[str, Any]) -> str:
    """One record as one line of strict JSON: a NaN or an infinity (a rate of nothing, say)
    is written as null, never as the bare `NaN` other JSON readers reject."""
    try:
        return json.dumps(record, ensure_ascii=False, allow_nan=False)
    except ValueError:
        return json.dumps(_finite(record), ensure_ascii=False, allow_nan=False)


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
        line = dumps(record) + "\n"
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


def write_json(path: Path, value: Any) -> None:
    """A JSON document (a summary, a manifest) written indented and strict, as `dumps`."""
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, allow_nan=False)
    except ValueError:
        text = json.dumps(_finite(value), indent=2, ensure_ascii=False, allow_nan=False)
    Path(path).write_text(text, encoding="utf-8")
