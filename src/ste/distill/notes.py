"""Tool notes: what practice taught about a tool, written as rules and checked by execution.

Exploration meets a tool's rules the hard way: a unit code refused, a date format, an enum
spelling, and then (often) the corrected call that worked. That knowledge is lost unless a
similar example happens to be retrieved. Here it becomes documentation:

1. **Evidence** is gathered per tool from the trials: each failed call followed, in the same
   trial, by a successful call of the tool (an error and its fix), and successful calls
   (the values the tool accepted). Each piece is numbered (E1, E2, ...).
2. **The model writes the notes** from the evidence (prompt `notes_write`): a few short rules
   a caller needs, each citing the evidence it rests on (a rule that cites more than
   `MAX_CITED` pieces, when there are more, is about nothing in particular: dropped). Each
   error and its fix also becomes a note of its own, in the tool's words (prompt
   `notes_fix`: the value that worked, and what the tool said of the one it refused, that
   value masked: a small model reading a refused value tends to pass it).
3. **Each note is verified by execution**: every piece of evidence it cites is called again
   on the real tool; the failed call must fail again and the successful one must succeed
   with the same result. A note that cites no evidence, or whose evidence does not
   reproduce, is dropped, with its reason.

Notes come only from exploration (never from test data). `with_notes` appends a tool's
notes to its description, so any model, and any client of `ste serve`, reads them without
retrieval. `ste distill --notes` writes `notes.json` (notes, evidence, dropped notes) and
`notes.md`.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from ste.distill.reproduction import same_result
from ste.errors import SteError
from ste.jsonl import append_jsonl, numbered_records, write_json
from ste.models.base import ChatModel, Generation
from ste.prompts import render
from ste.records import Trial
from ste.tools.execute import execute
from ste.tools.tool import Tool

NOTES = "notes.json"
NOTES_MD = "notes.md"
PROGRESS = "notes.jsonl"  # one line per finished tool: a rerun writes only the missing ones
MAX_FIXES = 8  # error -> fix pairs shown to the writer, per tool
MAX_ACCEPTED = 6  # successful calls shown, per tool
MAX_NOTES = 6
MAX_CITED = 3  # a rule citing more of the evidence than this supports nothing in particular
MAX_FIX_NOTES = 4  # notes of an error and its fix, per tool (one per parameter and message)
MAX_NOTE_CHARS = 300
OBSERVATION_CHARS = 300
_CITATION = re.compile(r"\[\s*(E\d+(?:\s*[,;]\s*E\d+)*)\s*\]", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*)$")


class Call(BaseModel):
    arguments: dict[str, Any]
    observation: str
    ok: bool


class Evidence(BaseModel):
    id: str  # "E1"
    trial: str  # the trial it comes from
    fixed: Call  # the call that worked
    failed: Call | None = None  # the call that failed before it (None: an accepted call)

    def text(self) -> str:
        def show(call: Call) -> str:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
            observation = " ".join(call.observation.split())[:OBSERVATION_CHARS]
            return f"{arguments} -> {'ok' if call.ok else 'error'}: {observation}"

        if self.failed is None:
            return f"{self.id} (worked): {show(self.fixed)}"
        return f"{self.id} (error, then fixed): {show(self.failed)}\n    fixed: {show(self.fixed)}"


class Note(BaseModel):
    text: str
    evidence: list[str]  # the ids it cites
    trials: list[str] = Field(default_factory=list)
    kind: str = "rule"  # "rule": written by the model; "fix": an error and its fix


class ToolNotes(BaseModel):
    """One tool's notes as `notes.jsonl` holds them (a line per tool, read back on resume)."""

    tool: str
    notes: list[Note] = Field(default_factory=list)
    dropped: list[dict[str, Any]] = Field(default_factory=list)  # {"text", "reason"}
    evidence: list[Evidence] = Field(default_factory=list)
    reply: str = ""  # the writer's raw reply

    def dump(self) -> dict[str, Any]:
        return self.model_dump()


def gather_evidence(trials: list[Trial], tool: str) -> list[Evidence]:
    """Error -> fix pairs first (the rules a caller breaks), then accepted calls, each
    argument set once."""
    fixes: list[tuple[str, Call, Call]] = []
    accepted: list[tuple[str, Call]] = []
    seen: set[str] = set()
    for trial in trials:
        if trial.tool != tool:
            continue
        last_failure: Call | None = None
        for step in trial.call_steps:
            if step.call is None or step.call.name != tool or step.observation is None:
                continue
            call = Call(
                arguments=step.call.arguments, observation=step.observation, ok=step.tool_ok is True
            )
            if step.tool_ok is False and step.error_kind in ("tool_error", "invalid_arguments"):
                last_failure = call
            elif step.tool_ok is True:
                key = json.dumps(call.arguments, sort_keys=True)
                if last_failure is not None:
                    fixes.append((trial.id, last_failure, call))
                    last_failure = None
                elif key not in seen:
                    accepted.append((trial.id, call))
                seen.add(key)
    evidence: list[Evidence] = []
    for trial_id, failed, fixed in fixes[:MAX_FIXES]:
        evidence.append(
            Evidence(id=f"E{len(evidence) + 1}", trial=trial_id, fixed=fixed, failed=failed)
        )
    for trial_id, call in accepted[:MAX_ACCEPTED]:
        evidence.append(Evidence(id=f"E{len(evidence) + 1}", trial=trial_id, fixed=call))
    return evidence


def parse_notes(reply: str) -> list[tuple[str, list[str]]]:
    """(rule, cited evidence ids) for each bullet line of the writer's reply, each rule once."""
    parsed: list[tuple[str, list[str]]] = []
    seen: set[str] = set()
    for line in (reply or "").splitlines():
        bullet = _BULLET.match(line)
        if not bullet:
            continue
        text = bullet.group(1).strip()
        cited = [
            part.strip().upper()
            for match in _CITATION.finditer(text)
            for part in re.split(r"[,;]", match.group(1))
        ]
        text = _CITATION.sub("", text).strip().rstrip(".").strip() + "."
        if len(text) > 1 and text not in seen:
            seen.add(text)
            parsed.append((text[:MAX_NOTE_CHARS], list(dict.fromkeys(cited))))
    return parsed


async def reproduces(tool: Tool, evidence: Evidence, timeout: float) -> str | None:
    """None when the evidence holds again on the real tool, else why not."""
    if evidence.failed is not None:
        again = await execute(tool, evidence.failed.arguments, timeout=timeout)
        if again.ok:
            return f"{evidence.id}: the call that failed now succeeds"
    again = await execute(tool, evidence.fixed.arguments, timeout=timeout)
    if not again.ok:
        return f"{evidence.id}: the call that worked now fails ({again.observation[:120]})"
    if not same_result(evidence.fixed.observation, again.observation):
        return f"{evidence.id}: the call that worked gives another result now"
    return None


async def write_tool_notes(
    model: ChatModel, tool: Tool, trials: list[Trial], runnable: Tool, *, timeout: float = 30.0
) -> ToolNotes:
    """The verified notes of one tool: `tool` as the model saw it, `runnable` to re-execute."""
    evidence = gather_evidence(trials, tool.name)
    result = ToolNotes(tool=tool.name, evidence=evidence)
    if not evidence:
        return result
    prompt = render(
        "notes_write",
        name=tool.name,
        description=tool.description,
        parameters=json.dumps(tool.parameters, ensure_ascii=False),
        evidence="\n".join(e.text() for e in evidence),
        max_notes=str(MAX_NOTES),
    )
    reply = await model.chat(
        [{"role": "user", "content": prompt}],
        generation=Generation(temperature=0.0, max_tokens=400, seed=0),
    )
    result.reply = reply.text
    by_id = {e.id: e for e in evidence}
    checked: dict[str, str | None] = {}
    proposed = [(text, cited, "rule") for text, cited in parse_notes(reply.text)[:MAX_NOTES]]
    proposed += [(text, [e.id], "fix") for text, e in fix_notes(evidence)]
    for text, cited, kind in proposed:
        known = [c for c in cited if c in by_id]
        if not known:
            reason = "cites no evidence" if not cited else f"cites unknown {', '.join(cited)}"
            result.dropped.append({"text": text, "reason": reason})
            continue
        if len(known) > MAX_CITED and len(evidence) > MAX_CITED:
            reason = f"cites {len(known)} of {len(evidence)} pieces of evidence: none in particular"
            result.dropped.append({"text": text, "reason": reason})
            continue
        for evidence_id in known:
            if evidence_id not in checked:
                checked[evidence_id] = await reproduces(runnable, by_id[evidence_id], timeout)
        failures = [checked[c] for c in known if checked[c] is not None]
        if failures:
            result.dropped.append({"text": text, "reason": "; ".join(failures)})  # type: ignore[arg-type]
            continue
        trials_cited = list(dict.fromkeys(by_id[c].trial for c in known))
        result.notes.append(Note(text=text, evidence=known, trials=trials_cited, kind=kind))
    return result


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def fix_notes(evidence: list[Evidence]) -> list[tuple[str, Evidence]]:
    """An error and its fix, in the tool's words: one per parameter changed and message."""
    notes: list[tuple[str, Evidence]] = []
    seen: set[tuple[str, str]] = set()
    for item in evidence:
        if item.failed is None:
            continue
        before, after = item.failed.arguments, item.fixed.arguments
        changed = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
        if not changed or len(changed) > 2:
            continue  # nothing, or too much, changed to say what fixed it
        message = " ".join(item.failed.observation.split()).removeprefix("Error:").strip()
        key = (",".join(changed), re.sub(r"'[^']*'|\d+", "_", message)[:60])
        if key in seen:
            continue
        seen.add(key)
        for name in changed:  # a small model copies a value it reads, refused or not
            refused = before.get(name)
            if isinstance(refused, str) and refused:
                message = message.replace(refused, "...")
        worked = ", ".join(f"{k}={_shown(after[k])}" for k in changed if k in after)
        text = render(
            "notes_fix",
            worked=worked or f"leaving out {', '.join(changed)}",
            message=message[:240],
        )
        notes.append((text, item))
        if len(notes) == MAX_FIX_NOTES:
            break
    return notes


async def write_notes(
    model: ChatModel,
    trials: list[Trial],
    tools: dict[str, Tool],
    runnable: dict[str, Tool],
    out: Path,
    *,
    timeout: float = 30.0,
    on_tool: Any = None,
) -> dict[str, ToolNotes]:
    """Notes for every tool, each saved as it is done (a rerun writes only the missing);
    then `notes.json` and `notes.md`."""
    done: dict[str, ToolNotes] = {}
    for _, record in numbered_records(out / PROGRESS):
        if record.get("tool") in tools:
            done[record["tool"]] = ToolNotes.model_validate(record)
    for name, tool in tools.items():
        if name not in done and name in runnable:
            notes = await write_tool_notes(model, tool, trials, runnable[name], timeout=timeout)
            append_jsonl(out / PROGRESS, notes.dump())
            done[name] = notes
        if on_tool:
            on_tool(name)
    ordered = {name: done[name] for name in tools if name in done}
    write_json(
        out / NOTES,
        {
            "kind": "ste-notes",
            "model": model.name,
            "tools": {n: t.dump() for n, t in ordered.items()},
        },
    )
    (out / NOTES_MD).write_text(notes_markdown(ordered), encoding="utf-8")
    return ordered


def notes_markdown(notes: dict[str, ToolNotes]) -> str:
    lines = ["# Tool notes", "", "Written by the model from its exploration, each verified by "
             "re-executing the calls it cites.", ""]  # fmt: skip
    for name, tool_notes in notes.items():
        lines += [f"## {name}", ""]
        if not tool_notes.notes:
            why = "no evidence" if not tool_notes.evidence else "none verified"
            lines += [f"(no notes: {why})", ""]
        for note in tool_notes.notes:
            lines.append(
                f"- {note.text} ({', '.join(note.evidence)}; trials {', '.join(note.trials)})"
            )
        for dropped in tool_notes.dropped:
            lines.append(f"- ~~{dropped['text']}~~ dropped: {dropped['reason']}")
        lines.append("")
    return "\n".join(lines)


def load_notes(dataset: str | Path) -> dict[str, list[str]]:
    """{tool: [note, ...]} from a `ste distill` dataset (or its notes.json)."""
    path = Path(dataset)
    path = path / NOTES if path.is_dir() else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SteError(f"{path}: no tool notes here (run `ste distill` to write them)") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SteError(f"{path}: unreadable tool notes ({error})") from None
    if not isinstance(data, dict) or data.get("kind") != "ste-notes":
        raise SteError(f"{path}: not tool notes written by `ste distill`")
    return {
        name: [note["text"] for note in entry.get("notes", [])]
        for name, entry in data.get("tools", {}).items()
    }


def note_texts(notes: dict[str, ToolNotes]) -> dict[str, list[str]]:
    return {name: [note.text for note in tool_notes.notes] for name, tool_notes in notes.items()}


def annotated_description(description: str, notes: list[str]) -> str:
    if not notes:
        return description
    rules = "\n".join(f"- {note}" for note in notes)
    return render("notes_in_description", description=description, notes=rules)


def with_notes(tools: list[Tool], notes: dict[str, list[str]]) -> list[Tool]:
    """The tools with each one's notes appended to its description."""
    return [
        replace(t, description=annotated_description(t.description, notes.get(t.name, [])))
        for t in tools
    ]


def refined_toolbox(tools: list[Tool], notes: dict[str, list[str]]) -> list[dict[str, Any]]:
    """The tools' OpenAI specs with the notes in their descriptions: documentation to ship."""
    return [t.openai_spec() for t in with_notes(tools, notes)]
