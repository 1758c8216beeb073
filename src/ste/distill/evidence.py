"""The evidence tool notes rest on, gathered from trials and checked on the real tool.

Per tool: each failed call followed, in the same trial, by a successful call (an error and
its fix), successful calls (the values the tool accepted), and the tool's other error
messages, each kind once (a tool often says what it accepts when it refuses: "Available
metrics: word_count, ..."). Each piece is numbered (E1, E2, ...) and `reproduces` runs it
again. `fix_notes` and `error_notes` turn evidence into notes in the tool's own words, with
the refused values masked (a small model reading a refused value tends to pass it).
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel

from ste.checks.arguments import choices
from ste.checks.content import content_parameters
from ste.distill.reproduction import same_result
from ste.prompts import render
from ste.records import Trial
from ste.tools.execute import execute
from ste.tools.tool import Tool

MAX_FIXES = 8  # error -> fix pairs shown to the writer, per tool
MAX_ACCEPTED = 6  # successful calls shown, per tool
MAX_ERRORS = 4  # errors practice did not fix, shown to the writer, per tool (each kind once)
MAX_FIX_NOTES = 4  # notes of an error and its fix, per tool (one per parameter and message)
MAX_ERROR_NOTES = 2  # of the unfixed errors, the most informative become notes
MAX_VALUES = 4  # accepted values of a parameter a note shows
MAX_VALUE_CHARS = 40  # longer values (a text to analyse) show no form
OBSERVATION_CHARS = 300


class Call(BaseModel):
    arguments: dict[str, Any]
    observation: str
    ok: bool


class Evidence(BaseModel):
    id: str  # "E1"
    trial: str  # the trial it comes from
    fixed: Call | None = None  # the call that worked (None: an error practice did not fix)
    failed: Call | None = None  # the call that failed before it (None: an accepted call)
    # a call the tool ran but the review found wrong for its request (`failed` then holds
    # it, and `fixed` the corrected call): what the review found, and the request
    found: str = ""
    request: str = ""

    def text(self) -> str:
        def show(call: Call) -> str:
            arguments = json.dumps(call.arguments, ensure_ascii=False)
            observation = " ".join(call.observation.split())[:OBSERVATION_CHARS]
            return f"{arguments} -> {'ok' if call.ok else 'error'}: {observation}"

        if self.found and self.failed is not None and self.fixed is not None:
            return (
                f"{self.id} (wrong for the request {self.request!r}: {self.found}): "
                f"{show(self.failed)}\n    corrected: {show(self.fixed)}"
            )
        if self.failed is None and self.fixed is not None:
            return f"{self.id} (worked): {show(self.fixed)}"
        if self.fixed is None and self.failed is not None:
            return f"{self.id} (error): {show(self.failed)}"
        assert self.failed is not None and self.fixed is not None
        return f"{self.id} (error, then fixed): {show(self.failed)}\n    fixed: {show(self.fixed)}"


def error_kind(observation: str) -> str:
    """An error message with its quoted values and numbers masked: what kind of refusal it is
    ("Unknown metric '_'. Available metrics: ..."), whatever value was refused."""
    message = " ".join(observation.split()).removeprefix("Error:").strip()
    return re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", message)[:80]


def gather_evidence(trials: list[Trial], tool: str) -> list[Evidence]:
    """Error -> fix pairs first (the rules a caller breaks), then accepted calls, each
    argument set once, then the tool's errors of kinds no fix shows.

    Only the tool's own errors count: a call the schema refused (a missing or unknown
    parameter, a wrong type) teaches what the parameter list already says, and its "fix"
    made notes such as "leaving out day_holidays works" that only add noise."""
    fixes: list[tuple[str, Call, Call]] = []
    accepted: list[tuple[str, Call]] = []
    errors: dict[str, tuple[str, Call]] = {}  # by error_kind, the first of each
    seen: set[str] = set()
    for trial in trials:
        if trial.tool != tool:
            continue
        last_failure: Call | None = None
        for step in trial.all_call_steps:
            if step.call is None or step.call.name != tool or step.observation is None:
                continue
            call = Call(
                arguments=step.call.arguments, observation=step.observation, ok=step.tool_ok is True
            )
            if step.tool_ok is False and step.error_kind == "tool_error":
                last_failure = call
                errors.setdefault(error_kind(call.observation), (trial.id, call))
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
    fixed_kinds = {error_kind(e.failed.observation) for e in evidence if e.failed is not None}
    unfixed = [item for kind, item in errors.items() if kind not in fixed_kinds]
    for trial_id, call in unfixed[:MAX_ERRORS]:
        evidence.append(Evidence(id=f"E{len(evidence) + 1}", trial=trial_id, failed=call))
    return evidence


async def reproduces(tool: Tool, evidence: Evidence, timeout: float) -> str | None:
    """None when the evidence holds again on the real tool, else why not. (A reviewed
    call was wrong for its request, not refused: only its correction is run again.)"""
    if evidence.failed is not None and not evidence.found:
        again = await execute(tool, evidence.failed.arguments, timeout=timeout)
        if again.ok:
            return f"{evidence.id}: the call that failed now succeeds"
        said, before = error_kind(again.observation), error_kind(evidence.failed.observation)
        if evidence.fixed is None and said != before:
            return f"{evidence.id}: the call that failed now says another thing ({said[:80]})"
    if evidence.fixed is None:
        return None
    again = await execute(tool, evidence.fixed.arguments, timeout=timeout)
    if not again.ok:
        return f"{evidence.id}: the call that worked now fails ({again.observation[:120]})"
    if not same_result(evidence.fixed.observation, again.observation):
        return f"{evidence.id}: the call that worked gives another result now"
    return None


def _shown(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _changed(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The arguments whose values differ between two calls, in order."""
    return [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]


def _worked(after: dict[str, Any], changed: list[str]) -> str:
    """What the call that worked passed for the changed arguments ("unit=\"km\""), and
    those it left out: a recipe search refused for `cuisine="vegetarian"` that worked with
    `vegetarian=true` and no cuisine is "vegetarian=true with cuisine left out", not
    "vegetarian=true" beside the refusal of a cuisine."""
    passed = ", ".join(f"{k}={_shown(after[k])}" for k in changed if k in after)
    dropped = ", ".join(k for k in changed if k not in after)
    if passed and dropped:
        return f"{passed} with {dropped} left out"
    return passed or f"leaving out {dropped}"


def _masked(message: str, refused: dict[str, Any]) -> str:
    """The tool's message without the values it refused: a small model copies a value it
    reads, refused or not."""
    message = " ".join(message.split()).removeprefix("Error:").strip()
    for value in refused.values():
        if isinstance(value, str) and value:  # where the message quotes it
            message = message.replace(f"'{value}'", "'...'").replace(f'"{value}"', '"..."')
    return message


def error_notes(evidence: list[Evidence]) -> list[tuple[str, Evidence]]:
    """The errors practice never fixed, in the tool's words: the longest messages (those
    that say what the tool accepts), in the order practice met them."""
    unfixed = [(e, e.failed) for e in evidence if e.fixed is None and e.failed is not None]
    longest = sorted(unfixed, key=lambda pair: -len(pair[1].observation))[:MAX_ERROR_NOTES]
    return [
        (render("notes_error", message=_masked(failed.observation, failed.arguments)[:300]), e)
        for e, failed in unfixed
        if (e, failed) in longest
    ]


def fix_notes(evidence: list[Evidence]) -> list[tuple[str, Evidence]]:
    """An error and its fix, in the tool's words: one per parameter changed and message."""
    notes: list[tuple[str, Evidence]] = []
    seen: set[tuple[str, str]] = set()
    for item in evidence:
        if item.failed is None or item.fixed is None or item.found:  # a review's: review_notes
            continue
        before, after = item.failed.arguments, item.fixed.arguments
        changed = _changed(before, after)
        if not changed or len(changed) > 2:
            continue  # nothing, or too much, changed to say what fixed it
        key = (",".join(changed), error_kind(item.failed.observation)[:60])
        if key in seen:
            continue
        seen.add(key)
        message = _masked(item.failed.observation, {name: before.get(name) for name in changed})
        text = render(
            "notes_fix",
            worked=_worked(after, changed),
            message=message[:240],
        )
        notes.append((text, item))
        if len(notes) == MAX_FIX_NOTES:
            break
    return notes


def review_evidence(trials: list[Trial], tool: str, start: int) -> list[Evidence]:
    """Each review that corrected a call (`ste.explore.review`): the reviewed call, what the
    review found, and the corrected call, numbered from E`start`. `trials` are those whose
    corrected attempt passes the checks (the caller's choice): a correction that is wrong
    too teaches nothing."""
    evidence: list[Evidence] = []
    for trial in trials:
        if trial.tool != tool or not trial.review or trial.reviewed_at is None:
            continue
        before = [s for s in trial.steps[: trial.reviewed_at] if s.tool_ok and s.call]
        after = [s for s in trial.call_steps if s.tool_ok and s.call]
        if not before or not after or trial.answer_steps is trial.steps:
            continue
        failed, fixed = (
            Call(arguments=s.call.arguments, observation=s.observation or "", ok=True)  # type: ignore[union-attr]
            for s in (before[-1], after[-1])
        )
        if failed.arguments == fixed.arguments:
            continue
        evidence.append(
            Evidence(
                id=f"E{start + len(evidence)}",
                trial=trial.id,
                failed=failed,
                fixed=fixed,
                found="; ".join(trial.review),
                request=trial.query,
            )
        )
        if len(evidence) == MAX_FIXES:
            break
    return evidence


def review_notes(evidence: list[Evidence]) -> list[tuple[str, Evidence]]:
    """A correction the review led to, for its request: one per parameter changed."""
    notes: list[tuple[str, Evidence]] = []
    seen: set[str] = set()
    for item in evidence:
        if not item.found or item.failed is None or item.fixed is None:
            continue
        after = item.fixed.arguments
        changed = _changed(item.failed.arguments, after)
        if not changed or len(changed) > 2 or ",".join(changed) in seen:
            continue
        seen.add(",".join(changed))
        text = render(
            "notes_review",
            request=item.request[:160],
            worked=_worked(after, changed),
            found=item.found[:240],
        )
        notes.append((text, item))
        if len(notes) == MAX_FIX_NOTES:
            break
    return notes


def _free_text(name: str, schema: Any, content: set[str]) -> bool:
    """A string parameter taking no listed choice and not the user's own content."""
    if name in content or not isinstance(schema, dict) or schema.get("enum") or choices(schema):
        return False
    return "string" in json.dumps([schema.get("type"), schema.get("anyOf")])


def accepted_notes(evidence: list[Evidence], tool: Tool) -> list[tuple[str, list[Evidence]]]:
    """Per free-text parameter, the values the tool accepted in practice, in its own spelling
    ('rice, white, cooked', 'Europe/Paris', 'FRA'): the form a caller's value must take,
    which a description often does not show (a 1.5B model asked the food table for "cooked
    brown rice" in 7 of 10 dev items, with 37 examples retrieved and the tool's notes)."""
    content = set(content_parameters(tool))
    notes = []
    for name, schema in tool.parameters.get("properties", {}).items():
        if not _free_text(name, schema, content):
            continue
        values: dict[str, Evidence] = {}
        for item in evidence:
            value = item.fixed.arguments.get(name) if item.fixed and item.fixed.ok else None
            if isinstance(value, str) and 0 < len(value) <= MAX_VALUE_CHARS and "\n" not in value:
                values.setdefault(value, item)
        if values:
            shown = list(values.items())[:MAX_VALUES]
            listed = ", ".join(json.dumps(value, ensure_ascii=False) for value, _ in shown)
            text = render("notes_accepted", name=name, values=listed)
            cited = {item.id: item for _, item in shown}
            notes.append((text, list(cited.values())))
    return notes
