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

from ste.agent.grammar import react_grammar
from ste.agent.parsed import Action, FinalAnswer, Parsed, ParseError
from ste.models import bounded_json
from ste.models.base import ChatModel, ChatResponse, Generation, Message
from ste.models.bounded_json import ReplyLimitError
from ste.outcome import placeholder
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
# a label the model wrote mid-line ("Thought: ... Action: get_time Action Input: {}"): read as
# if it began a line; capitalised as the format shows it, so prose ("an action: ...") is not
_INLINE_LABEL = re.compile(
    r"(?<=\S)[ \t]+(?=(?:Action[ \t_]*Input|Action|Final[ \t_]*Answer|Observation)[ \t]*:)"
)
# a reply that ends by announcing the answer it does not give ("Thought: I now know the
# final answer"): a small model stops there, and the generic reminder gets the same reply
_ANNOUNCED = re.compile(r"\bknow the final answer\W*$", re.IGNORECASE)
_MAX_ACTION_WORDS = 4  # "use the convert_units tool"; longer is a sentence, not a name
# ... unless it is an order to call: "Call the roman_numeral tool with the input "1987"."
# (a small model wrote that four times in a row, told each time the Action must be a name)
_CALL_ORDER = re.compile(r"^(?:call|use|invoke|run|execute)\b", re.IGNORECASE)


def _reminded(name: str) -> str:
    """A corrective observation that ends with how the format goes."""
    return render(name, format_reminder=render("react_format_reminder"))


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


def _named_tool(line: str, tool_names: list[str]) -> str:
    """The tool an Action line names: the line itself, or the one tool it names among a few
    other words ("Call convert_units", "use the `date_calc` tool", "functions.get_time").
    A longer line that orders the call ("Call the roman_numeral tool with the input ...")
    is read the same way. A line naming two tools, or a sentence that merely mentions one
    ("I think I should first call ..."), is returned as it is (an unknown tool)."""
    if line in tool_names:
        return line
    if len(line.split()) > _MAX_ACTION_WORDS and not _CALL_ORDER.match(line):
        return line
    named = {
        tool for tool in tool_names if re.search(rf"(?<![\w-]){re.escape(tool)}(?![\w-])", line)
    }
    return named.pop() if len(named) == 1 else line


# a value written as arithmetic, which JSON does not hold ("term_months": 20*12+10)
# (not a date written without its quotes: that is a string)
_ARITHMETIC = re.compile(r":\s*(?!\d{4}-\d\d?-\d\d?)(\(?-?\d[\d.]*\s*[-+*/]\s*[\d.(][^,}\n]{0,40})")


def _decode_object(text: str) -> tuple[dict[str, Any] | None, str | None, str]:
    """Decode the first JSON object in `text`: (object, error, text after it)."""
    text = _FENCE.sub("", text).strip()
    start = text.find("{")
    if start < 0:
        shown = text.splitlines()[0][:80] if text else "nothing"
        return None, render("react_input_not_json", shown=repr(shown)), ""
    try:
        value, end = bounded_json.raw_decode(text, start)
    except ReplyLimitError as error:
        return None, render("reply_limit", problem=str(error)), ""
    except json.JSONDecodeError as error:
        hint = " " + render("react_single_quotes_hint") if "'" in text[start:] else ""
        if arithmetic := _ARITHMETIC.search(text, start):
            # "term_months": 20*12+10: a small model gives up on the call and answers from memory
            hint += " " + render("react_arithmetic_hint", expression=arithmetic.group(1).strip())
        message = render(
            "react_input_invalid_json",
            message=error.msg,
            position=str(error.pos - start),
            hint=hint,
        )
        return None, message, ""
    if not isinstance(value, dict):
        return None, render("react_input_not_object", kind=type(value).__name__), ""
    return value, None, text[end:]


def _inline_call(rest: str, tool_names: list[str], thought: str) -> Action | None:
    """A call written on the Action line itself, its JSON object after the tool's name
    ("Action: Call the `search_recipes` tool with the input JSON: {"cuisine": "thai"}"),
    or in a code block right under it ("Action: Call the `public_holidays` tool with the
    arguments:" then "```json {...} ```": a 1.5B explorer ran out of turns writing so): the
    Action, when the words before the object name one tool and the object decodes."""
    brace = rest.find("{")
    if brace < 0:
        return None
    line, _, between = rest[:brace].strip().partition("\n")
    if _FENCE.sub("", between).strip():  # words between the Action line and the object
        return None
    name = _named_tool(_clean_name(line), tool_names)
    arguments, error, _rest = _decode_object(rest[brace:])
    if name not in tool_names or error or arguments is None:
        return None
    return Action(name, arguments, thought)


def parse_react(text: str, tool_names: list[str]) -> Parsed:
    """Read one ReAct reply.

    The reply ends where its first complete call ends: whatever the model writes after the
    Action Input's JSON object (an invented Observation, a premature Final Answer, further
    actions) is what a stop sequence would have cut, and is ignored.
    """
    text = _INLINE_LABEL.sub("\n", text)
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
            # the prompt's placeholder copied ("<the answer to the user's query, ...>")
            if not answer or placeholder(answer):
                return ParseError(
                    render("react_empty_final_answer"), thought, announces_answer=True
                )
            return FinalAnswer(answer, thought)
        if _ANNOUNCED.search(text):
            return ParseError(render("react_final_answer_missing"), thought, announces_answer=True)
        return ParseError(_reminded("react_no_action"), thought)
    if len(actions) > 1 or len(inputs) > 1:
        return ParseError(render("react_several_actions"), thought)
    if not actions:
        return ParseError(_reminded("react_input_without_action"), thought)
    if final:
        return ParseError(render("react_action_and_final"), thought)
    if not inputs:
        inline = _inline_call(text[actions[0].end() :], tool_names, thought)
        return inline or ParseError(render("react_action_without_input"), thought)

    action, action_input = actions[0], inputs[0]
    if action_input.start() < action.start():
        return ParseError(_reminded("react_input_before_action"), thought)
    name = _named_tool(_clean_name(text[action.end() : action_input.start()]), tool_names)
    if name not in tool_names:
        close = difflib.get_close_matches(name, tool_names, n=1)
        suggestion = " " + render("react_did_you_mean", name=close[0]) if close else ""
        unknown = render(
            "react_unknown_tool",
            name=name or "(empty)",
            suggestion=suggestion,
            tool_names=", ".join(tool_names),
        )
        return ParseError(unknown, thought)
    arguments, error, _rest = _decode_object(text[action_input.end() :])
    if error:
        return ParseError(render("react_bad_arguments", error=error), thought)
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

    def grammar(self, tools: list[Tool], answer: bool = True) -> str | None:
        return react_grammar(tools, answer)

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
