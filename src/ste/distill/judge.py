"""The LLM judge of a trial on the method's three criteria, each Yes/No with a reason, and on
the doubts rule checks could not settle (`Check.question`), one Yes/No question each."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, TypeVar

from ste.checks.verdict import Check
from ste.distill.example import Turn, from_trial
from ste.jsonl import append_jsonl, numbered_records
from ste.models.base import ChatModel, Generation, Message
from ste.models.retry import RequestFailed
from ste.prompts import render
from ste.records import Judgment, Trial
from ste.tools.tool import Tool
from ste.verdicts import ATTEMPTS, ask_until_read, parse_yes_no, reason_after_verdict

T = TypeVar("T")

CRITERIA = ("informative", "faithful", "appropriate")
JUDGMENTS = "judgments.jsonl"  # in a dataset directory: one judgment per line, as made
_CRITERION_LINE = re.compile(
    r"^[\s>*_#`\-\d.)]*(informative|faithful|appropriate)[\s*_`]*[:\-]\s*(.*)$",
    re.IGNORECASE | re.MULTILINE,
)


def parse_judgment(text: str) -> dict[str, dict[str, object]] | None:
    """{criterion: {"ok": bool, "reason": str}} when all three criteria have a verdict."""
    found: dict[str, dict[str, object]] = {}
    for match in _CRITERION_LINE.finditer(text or ""):
        name, rest = match.group(1).lower(), match.group(2)
        verdict = parse_yes_no(rest)
        if verdict is not None and name not in found:
            found[name] = {"ok": verdict, "reason": reason_after_verdict(rest)}
    return found if len(found) == len(CRITERIA) else None


def _calls_text(turns: list[Turn]) -> str:
    return (
        "\n".join(
            f"{i}. {t.name}({json.dumps(t.arguments, ensure_ascii=False)}) -> {t.observation}"
            for i, t in enumerate(turns, 1)
        )
        or "(none)"
    )


DOUBT = "doubt:"  # the prefix of a doubt's name among a judgment's criteria


@dataclass(frozen=True)
class _Shown:
    """What the judge is shown of one example."""

    tool_description: str
    query: str
    calls: str
    final_answer: str


async def judge_example(
    model: ChatModel,
    tool: Tool,
    query: str,
    turns: list[Turn],
    final_answer: str,
    doubts: dict[str, str] | None = None,
) -> Judgment:
    """The three criteria, then each doubt (check name -> question) as criterion
    `doubt:<name>`; the judgment is ok when every one of them is."""
    shown = _Shown(
        tool_description=f"{tool.name}: {tool.description}\nParameters: "
        + json.dumps(tool.parameters, ensure_ascii=False),
        query=query,
        calls=_calls_text(turns),
        final_answer=final_answer,
    )
    judgment = await _judge_criteria(model, shown)
    for name, question in (doubts or {}).items():
        verdict, replies = await _settle_doubt(model, shown, question)
        judgment.replies += replies
        judgment.criteria[DOUBT + name] = (
            {"ok": verdict[0], "reason": verdict[1]}
            if verdict is not None
            else {"ok": False, "reason": f"unparsable reply: {replies[-1][:120]!r}"}
        )
    failed = [(n, c) for n, c in judgment.criteria.items() if not c["ok"]]
    if doubts and judgment.criteria.keys() >= set(CRITERIA):
        judgment.ok = not failed
        judgment.reason = (
            "; ".join(f"not {n}: {c['reason']}" for n, c in failed)
            if failed
            else "all criteria met"
        )
    return judgment


async def _settle_doubt(
    model: ChatModel, shown: _Shown, question: str
) -> tuple[tuple[bool, str] | None, list[str]]:
    prompt = render(
        "distill_doubt",
        question=question,
        tool_description=shown.tool_description,
        query=shown.query,
        calls=shown.calls,
        final_answer=shown.final_answer,
    )

    def read(reply: str) -> tuple[bool, str] | None:
        verdict = parse_yes_no(reply)
        return None if verdict is None else (verdict, reason_after_verdict(reply))

    return await _ask_judge(model, prompt, render("distill_doubt_reminder"), 120, read)


async def _ask_judge(
    model: ChatModel, prompt: str, reminder: str, max_tokens: int, read: Callable[[str], T | None]
) -> tuple[T | None, list[str]]:
    """Ask the judge `prompt`; a reply `read` cannot read is answered with `reminder`."""
    messages: list[Message] = [{"role": "user", "content": prompt}]

    async def ask(attempt: int) -> str:
        generation = Generation(max_tokens=max_tokens, seed=attempt)
        return (await model.chat(messages, generation=generation)).text

    def remind(reply: str) -> None:
        messages.extend(
            [{"role": "assistant", "content": reply}, {"role": "user", "content": reminder}]
        )

    return await ask_until_read(ask, read, remind)


async def _judge_criteria(model: ChatModel, shown: _Shown) -> Judgment:
    prompt = render(
        "distill_judge",
        tool_description=shown.tool_description,
        query=shown.query,
        calls=shown.calls,
        final_answer=shown.final_answer,
    )
    reminder = render("distill_judge_reminder")
    criteria, replies = await _ask_judge(model, prompt, reminder, 200, parse_judgment)
    if criteria is not None:
        failed = [name for name in CRITERIA if not criteria[name]["ok"]]
        reason = (
            "; ".join(f"not {name}: {criteria[name]['reason']}" for name in failed)
            if failed
            else "all three criteria met"
        )
        return Judgment(ok=not failed, criteria=criteria, reason=reason, replies=replies)
    shown = " ".join(replies[-1].split())[:120]
    reason = f"unparsable judgment after {ATTEMPTS} attempts: {shown!r}"
    return Judgment(ok=False, reason=reason, replies=replies)


async def judge_pending(
    judge: ChatModel,
    trials: list[Trial],
    tools: dict[str, Tool],
    last_call_only: bool,
    out: Path,
    concurrency: int,
    progress: Callable[[str, int, int], None] | None,
    doubts: dict[str, dict[str, str]],
) -> tuple[dict[str, Judgment], dict[str, str]]:
    """The judgments of `trials` (earlier ones read back, unless they lack a doubt the
    trial now has), with its `doubts` asked too; and the reasons of those whose judge
    requests failed after the retries."""
    path = out / JUDGMENTS
    judgments = {
        j.trial: j
        for j in (Judgment.read(record, where) for where, record in numbered_records(path))
    }
    pending = [
        t
        for t in trials
        if t.id not in judgments
        or not {DOUBT + n for n in doubts.get(t.id, {})} <= judgments[t.id].criteria.keys()
        # a judgment of the answer as practised does not judge one written again
        or judgments[t.id].answered_again != (t.answered_again_from is not None)
        # nor one of the request as practised one asked for again (`request_again`)
        or judgments[t.id].query not in (None, t.query)
    ]
    unjudged: dict[str, str] = {}
    semaphore = asyncio.Semaphore(max(1, concurrency))
    done = len(trials) - len(pending)

    async def one(trial: Trial) -> None:
        nonlocal done
        example = from_trial(trial, [], last_call_only)
        async with semaphore:
            try:
                judgment = await judge_example(
                    judge,
                    tools[trial.tool],
                    trial.query,
                    example.turns,
                    example.final_answer,
                    doubts.get(trial.id),
                )
            except RequestFailed as failure:  # not judged: a rerun of distill judges it
                unjudged[trial.id] = failure.reason
                return
        again = trial.answered_again_from is not None
        record = judgment.model_copy(
            update={"trial": trial.id, "answered_again": again, "query": trial.query}
        )
        append_jsonl(out / JUDGMENTS, record.model_dump(mode="json"))
        judgments[trial.id] = record
        done += 1
        if progress:
            progress("judge", done, len(trials))

    await asyncio.gather(*(one(t) for t in pending))
    return judgments, unjudged


def decision(trial: Trial, checks: list[Check]) -> dict[str, Any]:
    failed = [c for c in checks if not c.ok]
    return {
        "tool": trial.tool,
        "checks": [{k: v for k, v in asdict(c).items() if k != "fix" or v} for c in checks],
        "kept": not failed,
        "rejected_by": failed[0].name if failed else None,
        "reason": failed[0].reason if failed else "",
    }


def settled(decision: dict[str, Any], judgment: Judgment) -> list[Check]:
    """The decision's checks, those the judge's Yes settled passing, with its reason."""
    checks = [Check(**c) for c in decision["checks"]]
    for check in checks:
        verdict = judgment.criteria.get(DOUBT + check.name)
        if not check.ok and verdict and verdict["ok"]:
            check.ok = True
            check.reason = f"{check.reason}; the judge: {verdict['reason']}"
    return checks
