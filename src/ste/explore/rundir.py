"""The run directory of an exploration: what was asked, every trial, every token spent.

- `manifest.json`: ste version, model, settings, each tool's schema and hash;
- `trials.jsonl`: one line per finished trial, flushed and fsynced as it finishes, so a
  run killed at any moment keeps every finished trial (a half-written last line is ignored
  and that trial runs again);
- `usage.jsonl`: the ledger, one line per model request (tool, trial, tokens, seconds);
  a request made by a trial that was interrupted is in the ledger but not in the trials.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ste.errors import SteError
from ste.jsonl import JsonlAppender, read_jsonl

MANIFEST = "manifest.json"
TRIALS = "trials.jsonl"
LEDGER = "usage.jsonl"


def trial_id(tool: str, episode: int, trial: int) -> str:
    return f"{tool}/e{episode + 1}/t{trial + 1}"


class RunDir:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._trials = JsonlAppender(self.path / TRIALS)  # fsynced: a trial costs model time
        # Flushed (survives a killed process) but not fsynced: one fsync per model request
        # would cost more than the bookkeeping is worth.
        self._ledger = JsonlAppender(self.path / LEDGER, fsync=False)

    @property
    def exists(self) -> bool:
        return (self.path / MANIFEST).is_file()

    def read_manifest(self) -> dict[str, Any]:
        path = self.path / MANIFEST
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise SteError(f"{self.path}: not an exploration run (no {MANIFEST})") from None
        except (OSError, json.JSONDecodeError) as error:
            raise SteError(f"{path}: unreadable ({error})") from None
        if not isinstance(manifest, dict) or manifest.get("kind") != "ste-exploration":
            raise SteError(f"{path}: not the manifest of an exploration run")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self.path.mkdir(parents=True, exist_ok=True)
        temporary = self.path / (MANIFEST + ".tmp")
        temporary.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
        os.replace(temporary, self.path / MANIFEST)

    def read_trials(self) -> list[dict[str, Any]]:
        """Finished trials in file order, each once."""
        seen: set[str] = set()
        trials = []
        for record in read_jsonl(self.path / TRIALS):
            if "id" in record and record["id"] not in seen:
                seen.add(record["id"])
                trials.append(record)
        return trials

    def read_ledger(self) -> list[dict[str, Any]]:
        return read_jsonl(self.path / LEDGER)

    def open(self) -> None:
        """Open trials and ledger for appending, each repaired after a line cut by a kill."""
        self._trials.open()
        self._ledger.open()

    def close(self) -> None:
        self._trials.close()
        self._ledger.close()

    def append_trial(self, record: dict[str, Any]) -> None:
        self._trials.append(record)

    def append_usage(self, entry: dict[str, Any]) -> None:
        self._ledger.append(entry)


def manifest_differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What makes `new` a different run from `old` (the ste version may differ)."""
    changes = []
    if old.get("model") != new.get("model"):
        changes.append(f"model {old.get('model')!r} -> {new.get('model')!r}")
    old_settings, new_settings = old.get("settings", {}), new.get("settings", {})
    for key in sorted(set(old_settings) | set(new_settings)):
        if old_settings.get(key) != new_settings.get(key):
            changes.append(f"{key} {old_settings.get(key)!r} -> {new_settings.get(key)!r}")
    old_tools = {t["name"]: t["sha256"] for t in old.get("tools", [])}
    new_tools = {t["name"]: t["sha256"] for t in new.get("tools", [])}
    for name in sorted(set(old_tools) | set(new_tools)):
        if name not in new_tools:
            changes.append(f"tool {name} removed")
        elif name not in old_tools:
            changes.append(f"tool {name} added")
        elif old_tools[name] != new_tools[name]:
            changes.append(f"tool {name} changed (description or parameters)")
    return changes
