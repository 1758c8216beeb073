"""The run directory of an exploration: what was asked, every trial, every token spent.

- `manifest.json`: ste version, model, settings, each tool's schema and hash;
- `trials.jsonl`: one line per finished trial, flushed and fsynced as it finishes, so a
  run killed at any moment keeps every finished trial (a half-written last line is ignored
  and that trial runs again);
- `usage.jsonl`: the ledger, one line per model request (tool, trial, tokens, seconds);
  a request made by a trial that was interrupted is in the ledger but not in the trials.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

from ste import workdir
from ste.errors import SteError
from ste.jsonl import JsonlAppender, numbered_records
from ste.records import Trial, read_ledger

MANIFEST = workdir.MANIFEST
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
        manifest = workdir.read_manifest(self.path)
        if manifest is None:
            raise SteError(f"{self.path}: not an exploration run (no {MANIFEST})")
        if manifest.get("kind") != "ste-exploration":
            raise SteError(f"{self.path / MANIFEST}: not the manifest of an exploration run")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        workdir.write_manifest(self.path, manifest)

    def start(self, manifest: dict[str, Any], *, force: bool) -> None:
        """Create or continue the run for `manifest`: other tools or settings are refused
        unless `force`, which continues the run with them (the old manifest kept in its
        history)."""
        previous = self.read_manifest() if self.exists else None  # another kind: refused
        # the date the run began, told to the explorer (a small model otherwise assumes the
        # year of its training data); a continued run keeps its own, a run from before none
        today = date.today().isoformat() if previous is None else previous.get("today")
        if today:
            manifest = {**manifest, "today": today}
        workdir.start(
            self.path,
            manifest,
            force=force,
            what="an exploration",
            forced="continue it with these",
            keep_history=True,
        )

    def today(self) -> str | None:
        """The date the run began (None for a run from before runs were dated)."""
        manifest = workdir.read_manifest(self.path)
        return manifest.get("today") if manifest else None

    def read_trials(self) -> list[Trial]:
        """Finished trials in file order, each once; a line that is no trial is an error."""
        seen: set[str] = set()
        trials = []
        for where, record in numbered_records(self.path / TRIALS):
            trial = Trial.read(record, where)
            if trial.id not in seen:
                seen.add(trial.id)
                trials.append(trial)
        return trials

    def read_ledger(self) -> list[dict[str, Any]]:
        return read_ledger(self.path / LEDGER)

    def open(self) -> None:
        """Open trials and ledger for appending, each repaired after a line cut by a kill."""
        self._trials.open()
        self._ledger.open()

    def close(self) -> None:
        self._trials.close()
        self._ledger.close()

    def append_trial(self, trial: Trial) -> None:
        self._trials.append(trial.dump())

    def append_usage(self, entry: dict[str, Any]) -> None:
        self._ledger.append(entry)
