"""The first call checked against the notes of the tool it called (`--notes-for checked`).

Asked the whole request again with the notes beside it (`chosen`), a 1.5B model mostly
writes the call it wrote before: three country questions answered `code="AU"` beside the
note "The tool expects an ISO 3166-1 alpha-3 code, not a two-letter code". Here the call
stays in the conversation, the notes come after it, and the model is asked to write it again,
corrected where a note says the tool refuses it or expects another form.
"""

from __future__ import annotations

from ste.agent.loop import TurnSettings, get_protocol, run_turns
from ste.agent.trajectory import Trajectory
from ste.models.base import ChatModel, Message
from ste.prompts import render
from ste.tools.tool import Tool


def _after_reply(reply: Message, text: str) -> list[Message]:
    """`text` sent after the model's reply: as the result of each native tool call (a call
    must be answered before the conversation goes on), else as the user's next message."""
    calls = reply.get("tool_calls") or []
    if calls:
        return [{"role": "tool", "tool_call_id": c["id"], "content": text} for c in calls]
    return [{"role": "user", "content": text}]


async def checked_call(
    model: ChatModel,
    protocol: str,
    tools: list[Tool],
    first: Trajectory,
    notes: str,
    settings: TurnSettings,
) -> Trajectory:
    """The trajectory of the call written again after `first` (stopped at its first call),
    shown `notes` (the called tool's, as `RoutedNotes.text_of` writes them)."""
    prompt = render("icl_notes_check", notes=notes)
    messages = [*first.messages, *_after_reply(first.messages[-1], prompt)]
    return await run_turns(model, get_protocol(protocol), tools, messages, prompt, settings)
