"""Tool notes: what practice taught about a tool, written as rules and checked by execution.

Exploration meets a tool's rules the hard way: a unit code refused, a date format, an enum
spelling, and then (often) the corrected call that worked. That knowledge is lost unless a
similar example happens to be retrieved. Here it becomes documentation:

1. **Evidence** is gathered per tool from the trials (`ste.distill.evidence`): errors with
   their fix, accepted calls, and the tool's other errors, each kind once. Each piece is
   numbered (E1, E2, ...).
2. **Notes in the tool's own words** come first: each error and its fix (prompt
   `notes_fix`: the value that worked, and what the tool said of the one it refused, that
   value masked), and the most informative errors practice never fixed (prompt
   `notes_error`: the longest messages, which list what the tool accepts, rather than
   "could not parse"), and each correction the review led to (prompt `notes_review`: a
   call the tool ran but the rule checks found wrong for its request, and the corrected
   call, from trials whose corrected attempt passes the checks), and per free-text
   parameter the values the tool accepted, in its own spelling (`notes_accepted`: 'food
   values ...: "rice, white, cooked"'). Then **the model writes rules** from the evidence
   (prompt `notes_write`), each citing the evidence it rests on; a rule that cites more
   than `MAX_CITED` pieces, when there are more, is about nothing in particular, one that
   repeats a note in the tool's words (`REPEATS`
   lexical similarity) or says only what the description says (`restates`) adds nothing,
   and one that gives one value as the only one where practice saw the tool accept
   another ("the accepted ingredient is garlic") is contradicted: all four are dropped.
3. **Each note is verified by execution**: every piece of evidence it cites is called again
   on the real tool; the failed call must fail again (an unfixed error: with the same
   message) and the successful one must succeed with the same result. A note that cites no
   evidence, or whose evidence does not reproduce, is dropped, with its reason.

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

from ste.checks.rules import usable
from ste.distill.dedup import lexical_similarity
from ste.distill.evidence import (
    Evidence,
    accepted_notes,
    error_notes,
    fix_notes,
    gather_evidence,
    reproduces,
    review_evidence,
    review_notes,
)
from ste.distill.note_schema import unknown_parameter
from ste.errors import SteError
from ste.jsonl import append_jsonl, numbered_records, write_json
from ste.models.base import ChatModel, Generation
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

NOTES = "notes.json"
NOTES_MD = "notes.md"
PROGRESS = "notes.jsonl"  # one line per finished tool: a rerun writes only the missing ones
MAX_NOTES = 6
MAX_CITED = 3  # a rule citing more of the evidence than this supports nothing in particular
MAX_NOTE_CHARS = 300
REPEATS = 0.6  # lexical similarity at which a written rule repeats a note already kept
_CITATION = re.compile(r"\[\s*(E\d+(?:\s*[,;]\s*E\d+)*)\s*\]", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:[-*\u2022]|\d+[.)])\s+(.*)$")


class Note(BaseModel):
    text: str
    evidence: list[str]  # the ids it cites
    trials: list[str] = Field(default_factory=list)
    # "rule": written by the model; "fix": an error and its fix; "error": an unfixed error;
    # "review": a call the review found wrong for its request, and its correction;
    # "accepted": the values of a free-text parameter the tool accepted
    kind: str = "rule"


class ToolNotes(BaseModel):
    """One tool's notes as `notes.jsonl` holds them (a line per tool, read back on resume)."""

    tool: str
    notes: list[Note] = Field(default_factory=list)
    dropped: list[dict[str, Any]] = Field(default_factory=list)  # {"text", "reason"}
    evidence: list[Evidence] = Field(default_factory=list)
    reply: str = ""  # the writer's raw reply

    def dump(self) -> dict[str, Any]:
        return self.model_dump()


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
        text = _CITATION.sub("", text).strip().rstrip(".").strip()
        text = _DANGLING.sub("", text).rstrip(".").strip() + "."
        if len(text) > 1 and text not in seen:
            seen.add(text)
            parsed.append((text[:MAX_NOTE_CHARS], list(dict.fromkeys(cited))))
    return parsed


async def write_tool_notes(
    model: ChatModel, tool: Tool, trials: list[Trial], runnable: Tool, *, timeout: float = 30.0
) -> ToolNotes:
    """The verified notes of one tool: `tool` as the model saw it, `runnable` to re-execute."""
    evidence = gather_evidence(trials, tool.name)
    corrected = [t for t in trials if t.tool == tool.name and t.review and usable(t, runnable)]
    evidence += review_evidence(corrected, tool.name, start=len(evidence) + 1)
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
    proposed = [(text, [e.id], "fix") for text, e in fix_notes(evidence)]
    proposed += [(text, [e.id], "error") for text, e in error_notes(evidence)]
    proposed += [(text, [e.id], "review") for text, e in review_notes(evidence)]
    proposed += [
        (text, [e.id for e in cited], "accepted") for text, cited in accepted_notes(evidence, tool)
    ]
    proposed += [(text, cited, "rule") for text, cited in parse_notes(reply.text)[:MAX_NOTES]]
    for text, cited, kind in proposed:
        known = [c for c in cited if c in by_id]
        if kind == "rule" and _repeats(text, [n.text for n in result.notes]):
            result.dropped.append({"text": text, "reason": "repeats a note in the tool's words"})
            continue
        if kind == "rule" and (restated := restates(text, tool)):
            result.dropped.append({"text": text, "reason": restated})
            continue
        if kind == "rule" and (unknown := unknown_parameter(text, tool)):
            result.dropped.append({"text": text, "reason": unknown})
            continue
        if kind == "rule" and (contradicted := contradiction(text, evidence)):
            result.dropped.append({"text": text, "reason": contradicted})
            continue
        if not known:
            reason = "cites no evidence" if not cited else f"cites unknown {', '.join(cited)}"
            result.dropped.append({"text": text, "reason": reason})
            continue
        if (
            kind == "rule"
            and _ABOUT_ERRORS.search(text)
            and not any(by_id[c].failed for c in known)
        ):
            reason = "tells what the tool refuses, but cites only calls it accepted"
            result.dropped.append({"text": text, "reason": reason})
            continue
        if kind == "rule" and len(known) > MAX_CITED and len(evidence) > MAX_CITED:
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


# a rule about what the tool refuses ("If the country code is not valid, the tool returns an
# error"): only a refused call is evidence of it
_ABOUT_ERRORS = re.compile(r"\berrors?\b|\brefus|\breject|\binvalid\b|\bnot valid\b", re.I)

# a rule that gives one value as the only one: "the accepted max_minutes is 30", "unit must
# be 'km'", "only garlic"
_EXCLUSIVE = re.compile(r"\baccepted\b[^.]*?\b(?:is|are)\b|\bmust be\b|\bonly\b|\balways\b", re.I)


# a sentence left unfinished where the citation was cut out: "... The evidence is."
_DANGLING = re.compile(r"\s*\bThe evidence (?:is|comes from|being)\s*:?\s*$", re.I)

# a rule about the form a parameter's values take, and how an accepted value breaks it
# ("from_city must not contain any special characters or spaces", accepted "New York")
_FORMS: list[tuple[re.Pattern[str], re.Pattern[str], str]] = [
    (re.compile(r"\bnot (?:contain|include|have|use)\b[^.]*\bspaces?\b", re.I),
     re.compile(r"\s"), "a space"),
    (re.compile(r"\bnot (?:contain|include|have|use)\b[^.]*\bspecial characters?\b", re.I),
     re.compile(r"[^\w\s]"), "a special character"),
    (re.compile(r"\b(?:in |be |are |is )lower ?-?case\b", re.I), re.compile(r"[A-Z]"),
     "an upper-case letter"),
    (re.compile(r"\b(?:in |be |are |is )upper ?-?case\b", re.I), re.compile(r"[a-z]"),
     "a lower-case letter"),
]  # fmt: skip


def _form_broken(text: str, evidence: list[Evidence]) -> str | None:
    """Why a rule about the form of a parameter's values is broken by a value the tool
    accepted, or None. The parameters it names are checked, or every one if it names none."""
    accepted = [
        (name, value)
        for piece in evidence
        for name, value in (piece.fixed.arguments if piece.fixed else {}).items()
        if isinstance(value, str)
    ]
    named = {n for n, _ in accepted if re.search(rf"\b{re.escape(n)}\b", text, re.I)}
    for claim, breaks, what in _FORMS:
        if not claim.search(text):
            continue
        for name, value in accepted:
            if (not named or name in named) and breaks.search(value):
                return f"says how {name} is written; the tool accepted {name}={value!r} ({what})"
    return None


def _shown_value(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    return f"{value:g}" if isinstance(value, int | float) else value.casefold()


def contradiction(text: str, evidence: list[Evidence]) -> str | None:
    """Why a written rule is contradicted by practice, or None: it gives one value of a
    parameter as the only one ("the accepted ingredient is garlic", from one search with
    garlic) where the tool accepted another value of it too; or it says how values are
    written ("without spaces", "in lowercase") and the tool accepted one written otherwise."""
    if broken := _form_broken(text, evidence):
        return broken
    if not _EXCLUSIVE.search(text):
        return None
    accepted: dict[str, set[str]] = {}
    for piece in evidence:
        for name, value in (piece.fixed.arguments if piece.fixed else {}).items():
            if (shown := _shown_value(value)) is not None:
                accepted.setdefault(name, set()).add(shown)
    rule = text.casefold()
    for name, values in accepted.items():
        if len(values) < 2 or not re.search(rf"\b{re.escape(name.casefold())}\b", rule):
            continue
        said = [v for v in values if re.search(rf"(?<![\w.]){re.escape(v)}(?![\w]|\.\d)", rule)]
        if len(said) == 1:
            other = sorted(values - set(said))[0]
            return f"gives {name}={said[0]} as the only value; the tool also accepted {other!r}"
    return None


# words any rule about a parameter uses, whatever it teaches
_GENERIC = frozenset(
    {
        "the", "and", "for", "are", "its", "this", "that", "with", "from", "should", "must",
        "can", "will", "not", "any", "each", "which", "when", "where", "value", "values",
        "parameter", "parameters", "tool", "tools", "accept", "accepts", "accepted", "take",
        "takes", "given", "such", "representing", "represents", "returns", "return",
    }
)  # fmt: skip
_DOC_WORD = re.compile(r"[^\W\d_][^\W_]{2,}")
RESTATES = 0.85  # of a rule's words, the share in the tool's description that says no more


def restates(text: str, tool: Tool) -> str | None:
    """Why a written rule says nothing the tool's description and parameters do not ("The
    vegetarian parameter should be a boolean value, ...", "from_city and to_city must be
    strings": 7 of the 45 rules two dev explorations' notes kept): at least `RESTATES` of its
    words, generic ones aside, are words of the documentation. None if it says more."""
    documented = f"{tool.description} {json.dumps(tool.parameters)}".replace("_", " ")
    known = {w.casefold() for w in _DOC_WORD.findall(documented)}
    said = [w.casefold() for w in _DOC_WORD.findall(text.replace("_", " "))]
    said = [w for w in said if w not in _GENERIC]
    if not said:
        return "says nothing in particular"
    new = [w for w in said if w not in known and w.removesuffix("s") not in known]
    if 1 - len(new) / len(said) >= RESTATES:
        return "says what the tool's description already says"
    return None


def _repeats(text: str, kept: list[str]) -> bool:
    return bool(kept) and max(lexical_similarity([text, *kept])[0][1:]) >= REPEATS


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
