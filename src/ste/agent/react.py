"""The ReAct protocol: Thought / Action / Action Input / Observation / Final Answer.

`parse_react` turns a raw reply into an Action, a FinalAnswer, or a ParseError whose message
tells the model exactly what was wrong and how to write it instead. Model output is never
evaluated: arguments must be one JSON object.
"""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from ste.agent.parsed import Action, FinalAnswer, Parsed, ParseError
from ste.models.base import ChatModel, ChatResponse, Generation, Message
from ste.prompts import render
from ste.tools.tool import Tool

STOP = ["\nObservation:", "Observation:"]

_LABEL = r"^[ \t>*#]*{}[ \t]*\d*[ \t*]*:[ \t*]*"
_THOUGHT = re.compile(_LABEL.format("Thought"), re.IGNORECASE | re.MULTILINE)
_ACTION = re.compile(_LABEL.format("Action"), re.IGNORECASE | re.MULTILINE)
_ACTION_INPUT = re.compile(_LABEL.format(r"Action[ \t_]*Input"), re.IGNORECASE | re.MULTILINE)
_FINAL = re.compile(_LABEL.format(r"Final[ \t_]*Answer"), re.IGNORECASE | re.MULTILINE)
_OBSERVATION = re.compile(_LABEL.format("Observation"), re.IGNORECASE | re.MULTILINE)
_FENCE = re.compile(r"```[a-zA-Z]*")

FORMAT_REMINDER = (
    "To call a tool write:\nThought: ...\nAction: <tool name>\nAction Input: <one JSON object>\n"
    "To finish write:\nThought: I now know the final answer\nFinal Answer: <your answer>"
)


def describe_tools(tools: list[Tool]) -> str:
    return "\n\n".join(
        render(
            "react_tool",
            name=t.name,
            description=t.description,
            parameters=json.dumps(t.parameters, ensure_ascii=False),
        )
        for t in tools
    )


def system_prompt(tools: list[Tool]) -> str:
    return render(
        "react_system",
        tool_descriptions=describe_tools(tools),
        tool_names=", ".join(t.name for t in tools),
    )


def _clean_name(raw: str) -> str:
    name = raw.strip().splitlines()[0] if raw.strip() else ""
    name = name.strip().strip("`'\"*[]<>").strip()
    return name.removesuffix("()").strip()


def _decode_object(text: str) -> tuple[dict[str, Any] | None, str | None, str]:
    """Decode the first JSON object in `text`: (object, error, text after it)."""
    text = _FENCE.sub("", text).strip()
    start = text.find("{")
    if start < 0:
        shown = text.splitlines()[0][:80] if text else "nothing"
        return (
            None,
            f'the Action Input must be one JSON object such as {{"key": "value"}}, got {shown!r}',
            "",
        )
    try:
        value, end = json.JSONDecoder().raw_decode(text, start)
    except json.JSONDecodeError as error:
        hint = " (JSON strings and keys use double quotes)" if "'" in text[start:] else ""
        return (
            None,
            f"the Action Input is not valid JSON: {error.msg} "
            f"at character {error.pos - start}{hint}",
            "",
        )
    if not isinstance(value, dict):
        return (
            None,
            f"the Action Input must be a JSON object, got a JSON {type(value).__name__}",
            "",
        )
    return value, None, text[end:]


def parse_react(text: str, tool_names: list[str]) -> Parsed:
    """Read one ReAct reply.

    The reply ends where its first complete call ends: whatever the model writes after the
    Action Input's JSON object (an invented Observation, a premature Final Answer, further
    actions) is what a stop sequence would have cut, and is ignored.
    """
    observation = _OBSERVATION.search(text)
    if observation:
        text = text[: observation.start()]
    text = text.strip()

    inputs = list(_ACTION_INPUT.finditer(text))
    if inputs:  # cut after the first Action Input's JSON object, when it decodes
        _value, error, rest = _decode_object(text[inputs[0].end() :])
        if error is None:
            text = text[: len(text) - len(rest)].rstrip()
            inputs = inputs[:1]
    actions = [a for a in _ACTION.finditer(text) if not any(a.start() == i.start() for i in inputs)]
    final = _FINAL.search(text)

    first_label = min(
        [m.start() for m in (*actions, *inputs, final) if m is not None], default=len(text)
    )
    thought_text = text[:first_label]
    thought_match = _THOUGHT.search(thought_text)
    thought = (thought_text[thought_match.end() :] if thought_match else thought_text).strip()

    if not actions and not inputs:
        if final:
            answer = text[final.end() :].strip()
            if not answer:
                return ParseError(
                    "Your Final Answer is empty. Write the answer after 'Final Answer:'.", thought
                )
            return FinalAnswer(answer, thought)
        return ParseError(
            "Your reply has neither an Action nor a Final Answer. " + FORMAT_REMINDER, thought
        )
    if len(actions) > 1 or len(inputs) > 1:
        return ParseError(
            "Your reply has more than one Action. Call one tool at a time: write one Action "
            "and one Action Input, then stop and wait for the Observation.",
            thought,
        )
    if not actions:
        return ParseError(
            "Your reply has an Action Input but no 'Action:' line naming the tool. "
            + FORMAT_REMINDER,
            thought,
        )
    if final:
        return ParseError(
            "Your reply has both an Action and a Final Answer. Either call one tool and wait "
            "for its Observation, or give the Final Answer alone.",
            thought,
        )
    if not inputs:
        return ParseError(
            "Your reply has an Action but no 'Action Input:' line. After 'Action:' write "
            "'Action Input:' followed by the arguments as one JSON object (use {} when the "
            "tool takes no arguments).",
            thought,
        )

    action, action_input = actions[0], inputs[0]
    if action_input.start() < action.start():
        return ParseError(
            "Write 'Action:' first and 'Action Input:' after it. " + FORMAT_REMINDER, thought
        )
    name = _clean_name(text[action.end() : action_input.start()])
    if name not in tool_names:
        close = difflib.get_close_matches(name, tool_names, n=1)
        suggestion = f" Did you mean {close[0]}?" if close else ""
        shown = name or "(empty)"
        return ParseError(
            f"'{shown}' is not a valid tool.{suggestion} The Action must be exactly one of: "
            f"{', '.join(tool_names)}.",
            thought,
        )
    arguments, error, _rest = _decode_object(text[action_input.end() :])
    if error:
        return ParseError(
            f'{error}. Write the arguments as one JSON object, e.g. {{"key": 1}}.', thought
        )
    assert arguments is not None
    return Action(name, arguments, thought)


class ReactProtocol:
    """Tools described in the system prompt; calls and observations are plain text turns."""

    name = "react"

    def system_message(self, tools: list[Tool]) -> Message:
        return {"role": "system", "content": system_prompt(tools)}

    def first_messages(self, tools: list[Tool], query: str) -> list[Message]:
        return [self.system_message(tools), self.query_message(query)]

    def tools_param(self, tools: list[Tool]) -> list[dict[str, Any]] | None:
        return None

    def query_message(self, query: str) -> Message:
        return {"role": "user", "content": render("react_query", query=query)}

    async def ask(
        self, model: ChatModel, messages: list[Message], tools: list[Tool], generation: Generation
    ) -> tuple[ChatResponse, list[Parsed]]:
        response = await model.chat(messages, generation=generation.but(stop=STOP))
        return response, [parse_react(response.text, [t.name for t in tools])]

    def reply_message(self, response: ChatResponse, parsed: list[Parsed]) -> Message:
        text = response.text
        observation = _OBSERVATION.search(text)
        if observation:
            text = text[: observation.start()]
        return {"role": "assistant", "content": text.strip()}

    def observation_messages(self, parsed: list[Parsed], observations: list[str]) -> list[Message]:
        text = "\n".join(render("react_observation", observation=o) for o in observations)
        return [{"role": "user", "content": text}]
