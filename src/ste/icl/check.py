"""The first call checked against the notes of the tool it called (`--notes-for checked`).

Asked the whole request again with the notes beside it (`chosen`), a 1.5B model mostly
writes the call it wrote before: three country questions answered `code="AU"` beside the
note "The tool expects an ISO 3166-1 alpha-3 code, not a two-letter code". Here the call
stays in the conversation, the notes come after it, and the model is asked to write it again,
corrected where a note says the tool refuses it or expects another form.

Either way (`chosen` or `checked`), a number the call written with the notes changed from
one the request gives to one it does not is put back (`numbers_kept`): notes teach codes
and forms, not the user's numbers; asked again with a loan tool's notes, a 1.5B model
wrote `amount=300000` for "a $30,000 loan" that its first call had right.
"""

from __future__ import annotations

from ste.agent.loop import TurnSettings, get_protocol, run_turns
from ste.agent.trajectory import CallRecord, Trajectory
from ste.checks.arguments import grounded_number, request_numbers
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
    return await asked_again(
        model, protocol, tools, first, render("icl_notes_check", notes=notes), settings
    )


async def asked_again(
    model: ChatModel,
    protocol: str,
    tools: list[Tool],
    first: Trajectory,
    prompt: str,
    settings: TurnSettings,
) -> Trajectory:
    """The trajectory of the reply to `prompt`, sent after `first`'s call (stopped at its
    first call, as `settings` say)."""
    messages = [*first.messages, *_after_reply(first.messages[-1], prompt)]
    return await run_turns(model, get_protocol(protocol), tools, messages, prompt, settings)


def numbers_kept(before: CallRecord, after: CallRecord, query: str) -> CallRecord:
    """`after` (the call written with the notes) with each number it changed from `before`'s
    put back, where `before`'s comes from `query` (as written or converted) and `after`'s
    does not. A call of another tool, or changes the request supports, stay as written."""
    if before.name != after.name:
        return after
    known = request_numbers(query)
    arguments = dict(after.arguments)
    for name, value in after.arguments.items():
        first = before.arguments.get(name)
        if not all(_number(v) for v in (value, first)) or value == first:
            continue
        if grounded_number(float(first), known) and not grounded_number(float(value), known):
            arguments[name] = first
    if arguments == after.arguments:
        return after
    return CallRecord(name=after.name, arguments=arguments)


def _number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
