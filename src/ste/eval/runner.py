"""`ste eval`: run a model on a test set and score its first call (and, with --full, its answer).

Each finished item is appended to `items.jsonl` (flushed and fsynced), so an interrupted
run resumes where it stopped; `summary.json` and `summary.md` are written from all items.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ste import __version__, workdir
from ste.agent import run_agent
from ste.agent.loop import TurnSettings
from ste.agent.trajectory import Trajectory
from ste.distill.notes import load_notes, with_notes
from ste.eval.matching import lenient_match_any, match_any
from ste.eval.summary import markdown, summarise_by_tool
from ste.eval.testset import TestItem
from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.icl.bank import DemoBank
from ste.icl.check import checked_call
from ste.icl.demonstrations import demonstrations_for
from ste.icl.demonstrations import preface as demonstration_preface
from ste.icl.request_check import request_checked
from ste.icl.revision import revision_kept
from ste.icl.routing import RoutedNotes, ToolRouter
from ste.jsonl import JsonlAppender, numbered_records, read_jsonl, write_json
from ste.models.base import ChatModel
from ste.models.retry import RequestFailed
from ste.records import EvalRecord
from ste.tools.effects import SideEffectPolicy, apply_policy
from ste.tools.execute import DEFAULT_TIMEOUT_S, ToolResult, execute
from ste.tools.reset import run_reset
from ste.tools.stateful import fresh_instance, snapshot_of
from ste.tools.tool import Tool

KIND = "ste-eval"
ITEMS = "items.jsonl"
FAILURES = "failures.jsonl"  # items whose requests failed (scored by a rerun)


@dataclass
class EvalSettings:
    protocol: str = "react"
    full: bool = False
    max_turns: int = 4
    max_tokens: int = 512
    seed: int | None = 0
    concurrency: int = 1
    demos: str | None = None  # a `ste distill` dataset: retrieved demonstrations
    k: int = DEFAULT_K
    demo_tokens: int = DEFAULT_TOKEN_BUDGET
    demo_turns: str = "all"  # "successful": recoveries shown by their successful call only
    # "routed": the examples of the tool the request is most about first (`ste.icl.routing`);
    # "similar": the most similar examples of any tool
    demos_for: str = "routed"
    tool_timeout: float = DEFAULT_TIMEOUT_S  # seconds a tool call may take
    notes: str | None = None  # a `ste distill` dataset: its tool notes, shown as notes_for says
    # "all": every tool's notes in its description; "routed": only the notes of the tool
    # the request is most about (`ste.icl.routing`), beside the request; "chosen": the
    # request asked again with the notes of the tool the model called without them;
    # "checked": that call shown the notes and written again (`ste.icl.check`)
    notes_for: str = "all"
    allow_side_effects: str = ""  # "all" or tool names: tools not read-only that may run
    reset: str = ""  # a command run before each item (empty: none)
    grammar: bool = False  # llama.cpp: the first reply constrained to a valid call or answer
    check_call: bool = False  # the call checked against the request (`ste.icl.request_check`)

    def manifest(self, model: ChatModel, tests: Path, tools: list[Tool]) -> dict[str, Any]:
        return {
            **({"notes": self.notes} if self.notes else {}),
            **({"notes_for": self.notes_for} if self.notes and self.notes_for != "all" else {}),
            **({"allow_side_effects": self.allow_side_effects} if self.allow_side_effects else {}),
            **({"reset": self.reset} if self.reset else {}),
            **({"grammar": True} if self.grammar else {}),
            **({"check_call": True} if self.check_call else {}),
            "demos": self.demos,
            "k": self.k if self.demos else None,
            "demo_tokens": self.demo_tokens if self.demos else None,
            **({"demo_turns": self.demo_turns} if self.demos and self.demo_turns != "all" else {}),
            **({"demos_for": self.demos_for} if self.demos else {}),
            "ste_version": __version__,
            "model": model.name,
            "tests": str(tests),
            "tools": sorted(t.name for t in tools),
            "protocol": self.protocol,
            "full": self.full,
            "max_turns": self.max_turns,
            "max_tokens": self.max_tokens,
            "seed": self.seed,
        }


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


async def _outcome(
    tool: Tool, arguments: dict[str, Any], state: Any, timeout: float
) -> tuple[ToolResult, str]:
    """A call's result and (for a stateful tool) the instance's state after it, on a fresh
    instance started from the item's `state`."""
    async with fresh_instance([tool], state):
        result = await execute(tool, arguments, timeout=timeout)
        after = _canonical(await snapshot_of(tool)) if result.ok and tool.stateful else ""
    return result, after


async def execution_equivalent(
    tools: dict[str, Tool],
    name: str,
    arguments: dict[str, Any],
    expected: list[dict[str, Any]],
    timeout: float = DEFAULT_TIMEOUT_S,
    state: Any = None,
) -> tuple[bool, str]:
    """Run the predicted call and the expected ones: equivalent when a result is identical
    (for a stateful tool, and the instance's state after it)."""
    predicted, predicted_after = await _outcome(tools[name], arguments, state, timeout)
    if predicted.error_kind == "not_executed":
        return False, "not run (side effects not allowed): judged by matching only"
    if not predicted.ok:
        return False, f"the predicted call failed: {predicted.observation[:200]}"
    for call in expected:
        if call["name"] not in tools:
            continue
        reference, after = await _outcome(tools[call["name"]], call["arguments"], state, timeout)
        if reference.ok and _canonical(reference.value) == _canonical(predicted.value):
            if after == predicted_after:
                return True, "same result as an expected call"
            return False, "same result as an expected call, but the tool's state differs after"
    return False, "the result differs from every expected call's"


async def score_item(
    model: ChatModel,
    tools: list[Tool],
    item: TestItem,
    settings: EvalSettings,
    bank: DemoBank | None = None,
    routed: RoutedNotes | None = None,
    router: ToolRouter | None = None,
) -> EvalRecord:
    if settings.reset:
        await run_reset(settings.reset)
    by_name = {t.name: t for t in tools}
    offered = [by_name[n] for n in item.tools] if item.tools else tools
    names = [t.name for t in offered]
    notes, notes_of = "", None
    about = router.route(item.query, names) if router is not None else None
    if routed is not None and settings.notes_for == "routed":  # beside the request
        notes, notes_of = routed.text_of(about), about
    prefer = about if settings.demos_for == "routed" else None
    schemas = {t.name: t.parameters for t in tools}

    turns = TurnSettings.of(
        max_turns=settings.max_turns if settings.full else 1,
        stop_at_first_call=not settings.full,
        require_call=False,
        temperature=0.0,
        max_tokens=settings.max_tokens,
        seed=settings.seed,
        tool_timeout=settings.tool_timeout,
        grammar=settings.grammar,
    )

    async def attempt(notes: str) -> tuple[Trajectory, list[str]]:
        preface, shown = demonstration_preface("", notes), []
        if bank is not None:
            preface, shown = demonstrations_for(
                bank,
                item.query,
                names,
                settings.protocol,
                settings.k,
                settings.demo_tokens,
                settings.demo_turns,
                notes,
                prefer,
            )
        async with fresh_instance(offered, item.state):  # a stateful toolbox: the item's own
            trajectory = await run_agent(
                model,
                offered,
                item.query,
                protocol=settings.protocol,  # type: ignore[arg-type]
                preface=preface,
                settings=turns,
            )
        return trajectory, shown

    trajectory, shown = await attempt(notes)
    before = None
    chosen = trajectory.first_call if settings.notes_for in ("chosen", "checked") else None
    if routed is not None and chosen is not None and (notes := routed.text_of(chosen.name)):
        # asked again, the notes of the tool it called beside the request (chosen), or
        # after its call, to check it against them (checked: `ste.icl.check`)
        before, notes_of, without_notes = chosen, chosen.name, trajectory
        if settings.reset:
            await run_reset(settings.reset)
        if settings.notes_for == "checked":
            async with fresh_instance(offered, item.state):
                trajectory = await checked_call(
                    model, settings.protocol, offered, without_notes, notes, turns
                )
        else:
            trajectory, shown = await attempt(notes)
        # a change stands where the notes, the tool or the request support it
        kept = revision_kept(before, trajectory.first_call, item.query, by_name[before.name], notes)
        if kept is before:  # "the call is already correct", another tool, no call
            trajectory.steps = without_notes.steps  # the first call stands
        else:
            trajectory.calls[0].call = kept
        trajectory.usage.add(without_notes.usage)  # the item costs both requests
        trajectory.seconds += without_notes.seconds
        conversation = without_notes if kept is before else trajectory
    else:
        conversation = trajectory
    checked = None  # the call as it was before it was checked, where it was asked again
    if settings.check_call and (call := trajectory.first_call) is not None:
        # checked against the request before it runs (`ste.icl.request_check`)
        kept, again = await request_checked(
            model, settings.protocol, offered, conversation, call, item.query, turns
        )
        if again is not None:
            checked, trajectory.calls[0].call = call, kept
            trajectory.usage.add(again.usage)
            trajectory.seconds += again.seconds
    expected = [c.model_dump() for c in item.expected]
    first = trajectory.steps[0] if trajectory.steps else None
    call = first.call if first else None
    if call:
        reason = "ok"
    elif first and first.final_answer is not None:
        reason = "answered without a call"
    else:
        reason = first.parse_error or "no reply" if first else "no reply"
    record = EvalRecord(
        id=item.id,
        tool=item.tool,
        query=item.query,
        expected=expected,
        raw=first.raw if first else "",
        call=call.model_dump() if call else None,
        well_formed=call is not None,
        reason=reason,
        api_match=False,
        correct=False,
        lenient_correct=False,
        exec_equivalent=False,
        usage=trajectory.usage,
        seconds=round(trajectory.seconds, 3),
    )
    if call is not None:
        strict = match_any(call.name, call.arguments, expected, schemas.get(call.name))
        lenient = lenient_match_any(call.name, call.arguments, expected)
        same, why = await execution_equivalent(
            by_name, call.name, call.arguments, expected, settings.tool_timeout, item.state
        )
        record.api_match = call.name in {c["name"] for c in expected}
        record.correct, record.correct_reason = strict.ok, strict.reason
        record.lenient_correct = lenient.ok
        record.exec_equivalent, record.exec_reason = same, why
    if bank is not None:
        record.demonstrations = shown
    if routed is not None:
        record.notes_of = notes_of
    if before is not None:
        record.call_before_notes = before.model_dump()
    if checked is not None:
        record.call_before_check = checked.model_dump()
    if settings.full:
        record.final_answer = trajectory.final_answer
        if item.answer is not None:
            answer = (trajectory.final_answer or "").casefold()
            record.answer_correct = item.answer.casefold() in answer
    return record


def read_items(out: Path) -> list[EvalRecord]:
    """The scored items of a results folder, validated (a foreign line is an SteError)."""
    path = out / ITEMS
    return [EvalRecord.read(record, where) for where, record in numbered_records(path)]


def prepare_out_dir(out: Path, manifest: dict[str, Any], force: bool) -> list[dict[str, Any]]:
    """Create or resume a results dir; refuse to mix results of different settings."""
    _, changes = workdir.start(out, {"kind": KIND, **manifest}, force=force, what="results")
    if changes:  # forced: the old results are of other settings
        (out / ITEMS).unlink(missing_ok=True)
    return read_jsonl(out / ITEMS)  # as written (ToolBench runs write their own records)


async def run_eval(
    model: ChatModel,
    tools: list[Tool],
    items: list[TestItem],
    out: Path,
    settings: EvalSettings,
    on_item: Callable[[EvalRecord], None] | None = None,
    bank: DemoBank | None = None,
) -> list[EvalRecord]:
    """Score every item not already in `out`; returns all records, old and new.

    An item whose model request failed after its retries (`RequestFailed`) is not scored:
    the endpoint's fault is not the model's error. Its reason goes to `failures.jsonl`, and
    running the same command again scores it."""
    routed = None
    routes = (bank is not None and settings.demos_for == "routed") or bool(
        settings.notes and settings.notes_for == "routed"
    )
    router = ToolRouter(tools) if routes else None
    if settings.notes and settings.notes_for in ("routed", "chosen", "checked"):
        routed = RoutedNotes(load_notes(settings.notes), router or tools)
    elif settings.notes:  # the model reads each tool's notes in its description
        tools = with_notes(tools, load_notes(settings.notes))
    tools = apply_policy(tools, SideEffectPolicy.parse(settings.allow_side_effects))
    done = {r.id: r for r in read_items(out)}
    todo = [item for item in items if item.id not in done]
    # a reset restores one shared environment: items take turns on it
    semaphore = asyncio.Semaphore(1 if settings.reset else max(1, settings.concurrency))
    with JsonlAppender(out / ITEMS) as sink:

        async def one(item: TestItem) -> None:
            async with semaphore:
                try:
                    record = await score_item(model, tools, item, settings, bank, routed, router)
                except RequestFailed as failure:  # not the model's error: left for a rerun
                    with JsonlAppender(out / FAILURES) as failures:
                        failures.append({"id": item.id, "reason": failure.reason})
                    return
            sink.append(record.dump())
            done[item.id] = record
            if on_item:
                on_item(record)

        await asyncio.gather(*(one(item) for item in todo))
    return [done[item.id] for item in items if item.id in done]


async def evaluate_into(
    out: Path,
    model: ChatModel,
    tools: list[Tool],
    items: list[TestItem],
    tests: Path,
    settings: EvalSettings,
    *,
    bank: DemoBank | None = None,
    title: str | None = None,
    on_item: Callable[[EvalRecord], None] | None = None,
) -> dict[str, Any]:
    """Score every item of the prepared results folder `out` (`prepare_out_dir`) not scored
    yet, and write `summary.json` + `summary.md` from all of them; returns the summary."""
    records = await run_eval(model, tools, items, out, settings, on_item=on_item, bank=bank)
    summary = write_summary(out, records, title or f"{model.name} on {tests} ({settings.protocol})")
    scored = {record.id for record in records}
    summary["unscored"] = [item.id for item in items if item.id not in scored]
    return summary


def write_summary(out: Path, records: list[EvalRecord], title: str) -> dict[str, Any]:
    summary = summarise_by_tool(records)
    summary["manifest"] = workdir.read_manifest(out)
    write_json(out / "summary.json", summary)
    (out / "summary.md").write_text(markdown(summary, title))
    return summary
