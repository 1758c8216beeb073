"""An LLM judge of a call's arguments, for APIs whose arguments no rule can check.

The model is asked for "Yes."/"No." plus a reason. A reply that starts with neither is
asked once more; if it still gives no verdict the call counts as wrong, with that reason.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ste.models.base import ChatModel, Generation, Message
from ste.prompts import render
from ste.verdicts import ask_until_read, parse_yes_no, reason_after_verdict


@dataclass
class ArgumentVerdict:
    """The argument judge's verdict on one predicted call (ToolBench-50's judged APIs)."""

    correct: bool
    reason: str
    replies: list[str]


async def ask_yes_no(
    model: ChatModel, prompt: str, *, max_tokens: int = 128, seed: int | None = 0
) -> tuple[bool | None, list[str]]:
    """Ask `prompt`; re-ask once when the reply has no verdict. (verdict or None, replies)."""
    messages: list[Message] = [{"role": "user", "content": prompt}]
    generation = Generation(max_tokens=max_tokens, seed=seed)

    async def ask(attempt: int) -> str:
        return (await model.chat(messages, generation=generation)).text

    def remind(reply: str) -> None:
        messages.extend(
            [
                {"role": "assistant", "content": reply},
                {"role": "user", "content": render("verdict_reminder")},
            ]
        )

    return await ask_until_read(ask, parse_yes_no, remind)


async def judge_arguments(
    model: ChatModel, query: str, api: str, reference: dict[str, Any], predicted: dict[str, Any]
) -> ArgumentVerdict:
    prompt = render(
        "judge_arguments",
        query=query,
        api=api,
        reference=json.dumps(reference, ensure_ascii=False),
        predicted=json.dumps(predicted, ensure_ascii=False),
    )
    verdict, replies = await ask_yes_no(model, prompt)
    if verdict is None:
        shown = " ".join(replies[-1].split())[:120]
        return ArgumentVerdict(False, f"judge gave no Yes/No verdict ({shown!r})", replies)
    return ArgumentVerdict(verdict, reason_after_verdict(replies[-1]) or "no reason given", replies)
