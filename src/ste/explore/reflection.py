"""The reflection: the model's own verdict on whether its trial fulfilled the request,
kept beside the honest outcome (`ste.outcome`), never instead of it."""

from __future__ import annotations

from ste.agent.loop import AgentProtocol
from ste.explore.conversation import ask_text, user_message
from ste.models.base import GREEDY, ChatModel, Message, Usage
from ste.prompts import render
from ste.tools.tool import Tool
from ste.verdicts import ask_until_read, parse_yes_no, reason_after_verdict


async def reflect(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    seed: int,
    usage: Usage,
) -> tuple[bool | None, str, str]:
    """Ask whether the query was fulfilled: (verdict or None, reason, raw reply).

    Asked at temperature 0: it is a judgment, not an exploration.
    """
    messages.append(user_message(render("explore_reflect")))
    generation = GREEDY.but(max_tokens=128, seed=seed)

    async def ask(attempt: int) -> str:
        return await ask_text(model, protocol, tool, messages, usage, generation)

    def remind(reply: str) -> None:  # the reply is in the conversation already
        messages.append(user_message(render("verdict_reminder")))

    verdict, replies = await ask_until_read(ask, parse_yes_no, remind)
    raw = replies[-1]
    if verdict is not None:
        return verdict, reason_after_verdict(raw), raw
    return None, "the reflection gave no Yes/No verdict", raw
