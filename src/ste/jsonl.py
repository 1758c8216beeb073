"""Append-only JSONL files: how every run, result and dataset folder records its work.

A line is appended (and, where losing it would cost model time, fsynced) as each piece of
work finishes, so a killed process keeps everything it finished; a last line cut by the
kill is skipped when reading, and that piece of work is simply done again.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


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


def append_jsonl(path: Path, record: dict[str, Any], *, fsync: bool = True) -> None:
    with path.open("a", encoding="utf-8") as sink:
        sink.write(json.dumps(record, ensure_ascii=False) + "\n")
        sink.flush()
        if fsync:
            os.fsync(sink.fileno())
