"""The LLM judge of a trial on the method's three criteria, each Yes/No with a reason."""

from __future__ import annotations

import json
import re

from ste.distill.example import Turn
from ste.models.base import ChatModel, Generation, Message
from ste.prompts import render
from ste.records import Judgment
from ste.tools.tool import Tool
from ste.verdicts import ATTEMPTS, ask_until_read, parse_yes_no, reason_after_verdict

CRITERIA = ("informative", "faithful", "appropriate")
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


async def judge_example(
    model: ChatModel, tool: Tool, query: str, turns: list[Turn], final_answer: str
) -> Judgment:
    prompt = render(
        "distill_judge",
        tool_description=f"{tool.name}: {tool.description}\nParameters: "
        + json.dumps(tool.parameters, ensure_ascii=False),
        query=query,
        calls=_calls_text(turns),
        final_answer=final_answer,
    )
    messages: list[Message] = [{"role": "user", "content": prompt}]

    async def ask(attempt: int) -> str:
        generation = Generation(max_tokens=200, seed=attempt)
        return (await model.chat(messages, generation=generation)).text

    def remind(reply: str) -> None:
        messages.extend(
            [
                {"role": "assistant", "content": reply},
                {"role": "user", "content": render("distill_judge_reminder")},
            ]
        )

    criteria, replies = await ask_until_read(ask, parse_judgment, remind)
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
