"""The work directory every stage writes into, and how a stage resumes one.

Each stage (explore, distill, eval, experiment) writes its own folder: a manifest saying
what it was asked (model, settings, each tool's hash), then append-only JSONL files of
finished work (`ste.jsonl`). Running a stage again on the same folder continues it; a
manifest that differs from the folder's (another model, other settings, an edited tool) is
refused with the differences named, unless forced. A folder's kind is read from its
manifest's `kind`.

One process at a time works in a folder: `start` takes the folder's lock (an flock on
`.ste.lock`, which names the holder's PID), and holds it until the process ends, so a
second `ste explore --out` on the same folder is refused with one line instead of doing
every trial twice. The kernel drops the lock when its process dies, even by kill -9.
"""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path
from typing import IO, Any

from ste.errors import SteError
from ste.jsonl import write_json

MANIFEST = "manifest.json"
LOCK = ".ste.lock"
# keys that may differ between the runs of one folder
IGNORED = ("kind", "ste_version", "history")


def read_manifest(path: Path, name: str = MANIFEST) -> dict[str, Any] | None:
    """The folder's manifest, None when it has none; an unreadable one is an SteError."""
    file = Path(path) / name
    try:
        manifest = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SteError(f"{file}: unreadable ({error})") from None
    if not isinstance(manifest, dict):
        raise SteError(f"{file}: not a manifest (expected a JSON object)")
    return manifest


def manifest_kind(path: Path) -> str | None:
    """The `kind` in the folder's manifest ("ste-exploration", "ste-dataset", ...), or None."""
    try:
        manifest = read_manifest(path)
    except SteError:
        return None
    kind = (manifest or {}).get("kind")
    return kind if isinstance(kind, str) else None


def write_manifest(path: Path, manifest: dict[str, Any], name: str = MANIFEST) -> None:
    """Write the manifest atomically (a kill leaves the old one or the new one)."""
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True)
    temporary = folder / (name + ".tmp")
    write_json(temporary, manifest)
    os.replace(temporary, folder / name)


def tool_differences(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[str]:
    """Tools removed, added or changed between two lists of tool fingerprints."""
    old_tools = {t["name"]: t.get("sha256") for t in old}
    new_tools = {t["name"]: t.get("sha256") for t in new}
    changes = []
    for name in sorted(set(old_tools) | set(new_tools)):
        if name not in new_tools:
            changes.append(f"tool {name} removed")
        elif name not in old_tools:
            changes.append(f"tool {name} added")
        elif old_tools[name] != new_tools[name]:
            changes.append(f"tool {name} changed (description or parameters)")
    return changes


def _fingerprints(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(t, dict) and "name" in t for t in value)


def differences(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """What makes `new` other work than `old`: each differing key, settings one by one,
    tools by their hashes."""
    changes = []
    for key in sorted((set(old) | set(new)) - set(IGNORED)):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        if key == "tools" and _fingerprints(before) and _fingerprints(after):
            changes += tool_differences(before, after)  # type: ignore[arg-type]
            continue
        if key == "settings" and isinstance(before, dict) and isinstance(after, dict):
            for name in sorted(set(before) | set(after)):
                if before.get(name) != after.get(name):
                    changes.append(f"{name} {before.get(name)!r} -> {after.get(name)!r}")
            continue
        changes.append(f"{key} {before!r} -> {after!r}")
    return changes


_held: dict[Path, IO[str]] = {}  # folders this process has locked, kept open until it ends


def lock(path: Path) -> None:
    """Take the folder's lock for this process (again: a no-op), or refuse with the PID of
    the process that holds it."""
    folder = Path(path).resolve()
    if folder in _held:
        return
    folder.mkdir(parents=True, exist_ok=True)
    handle = (folder / LOCK).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise SteError(
            f"{path} is in use by another ste process ({holder}); wait for it to finish, "
            "stop it, or use another --out"
        ) from None
    handle.seek(0)
    handle.truncate()
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime())
    handle.write(f"PID {os.getpid()}, started {started}: {' '.join(sys.argv[:3])}\n")
    handle.flush()
    _held[folder] = handle


def unlock(path: Path) -> None:
    """Let other processes work in the folder again (the end of the process does it too)."""
    handle = _held.pop(Path(path).resolve(), None)
    if handle is not None:
        handle.close()


def start(
    path: Path,
    manifest: dict[str, Any],
    *,
    force: bool,
    what: str,
    forced: str = "start it over",
    name: str = MANIFEST,
    keep_history: bool = False,
) -> tuple[dict[str, Any] | None, list[str]]:
    """Create or continue a work directory for `manifest`.

    Returns the previous manifest (None for a new folder) and what differs from it. A
    difference is refused with one line naming it unless `force`; the caller then decides
    what forcing means (`forced` says it in the message: start over, or continue). The new
    manifest is written either way; with `keep_history`, a forced change keeps the manifests
    it replaces in its `history`.
    """
    lock(path)
    previous = read_manifest(path, name)
    changes = differences(previous, manifest) if previous is not None else []
    if changes and not force:
        raise SteError(
            f"{path} holds {what} made with other tools or settings ({'; '.join(changes)}); "
            f"use another --out, or --force to {forced}"
        )
    if keep_history and previous is not None and changes:
        history = [*previous.get("history", []), {**previous, "history": None}]
        manifest = {**manifest, "history": history}
    write_manifest(path, manifest, name)
    from ste.tools.mcp_source import set_log_dir

    set_log_dir(path)  # MCP servers' stderr from now on: mcp-NAME.log in this folder
    return previous, changes
