"""The agent loop: ask the model, execute its call, show it the observation, repeat."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, Protocol

from ste.agent.hints import abbreviations_hint, exact_form_hint, parameter_hint, request_hint
from ste.agent.native import NativeProtocol
from ste.agent.parsed import Action, FinalAnswer, Parsed, ParseError
from ste.agent.react import ReactProtocol
from ste.agent.trajectory import CallRecord, Step, Trajectory
from ste.errors import SteError
from ste.models.base import GREEDY, ChatModel, ChatResponse, Generation, Message
from ste.prompts import render
from ste.tools.execute import DEFAULT_MAX_CHARS, DEFAULT_TIMEOUT_S, execute
from ste.tools.tool import Tool

ProtocolName = Literal["react", "native"]
DEFAULT_MAX_TURNS = 4


class AgentProtocol(Protocol):
    name: str

    def system_message(self, tools: list[Tool]) -> Message: ...
    def tools_param(self, tools: list[Tool]) -> list[dict[str, Any]] | None: ...
    def first_messages(self, tools: list[Tool], query: str) -> list[Message]: ...
    def query_message(self, query: str) -> Message: ...
    def grammar(self, tools: list[Tool], answer: bool = True) -> str | None: ...
    async def ask(
        self, model: ChatModel, messages: list[Message], tools: list[Tool], generation: Generation
    ) -> tuple[ChatResponse, list[Parsed]]: ...
    def reply_message(self, response: ChatResponse, parsed: list[Parsed]) -> Message: ...
    def observation_messages(
        self, parsed: list[Parsed], observations: list[str]
    ) -> list[Message]: ...


PROTOCOLS = ("react", "native")


def check_protocol(name: str) -> None:
    """One clear error for a protocol name that is neither react nor native."""
    if name not in PROTOCOLS:
        raise SteError(f"--protocol must be react or native, got {name!r}")


def get_protocol(name: str) -> AgentProtocol:
    check_protocol(name)
    protocols: dict[str, AgentProtocol] = {"react": ReactProtocol(), "native": NativeProtocol()}
    return protocols[name]


@dataclass(frozen=True)
class TurnSettings:
    """How the agent works on one query: its replies, the tools' limits, when it stops."""

    max_turns: int = DEFAULT_MAX_TURNS
    generation: Generation = GREEDY
    tool_timeout: float = DEFAULT_TIMEOUT_S
    max_observation_chars: int = DEFAULT_MAX_CHARS
    stop_at_first_call: bool = False
    execute_tools: bool = True
    require_call: bool = True
    grammar: bool = False  # replies constrained to a call that fits a schema, or an answer
    # up to this many turns more, one for each tool error that `run_turns`'s `is_new_error`
    # calls new: practice persists while the tool's messages still teach something
    extra_turns: int = 0
    # at the turn limit without a final answer, a call having succeeded: ask once for the
    # answer from the results (smolagents' `provide_final_answer`); practice that did the
    # work is not lost for want of one more reply
    answer_at_limit: bool = False

    @classmethod
    def of(cls, **options: Any) -> TurnSettings:
        """From keywords naming fields of this class or of `Generation` (temperature, ...)."""
        sampling = {k: options.pop(k) for k in list(options) if k in _GENERATION_FIELDS}
        generation = options.pop("generation", GREEDY)
        return cls(generation=generation.but(**sampling), **options)


_GENERATION_FIELDS = {f.name for f in fields(Generation)}


def _failed_before(trajectory: Trajectory, call: CallRecord) -> bool:
    """Did this very call (same tool, same arguments) already fail in this trajectory?"""
    return any(
        step.call == call and step.tool_ok is False for step in trajectory.steps if step.call
    )


def _told(trajectory: Trajectory, step: Step, arguments: dict[str, Any], tool: Tool) -> str:
    """What the model reads of a refused call: the tool's words, the form an earlier
    message gave a value passed in another ('London, GB', not 'London GB'), the values its
    message lists that abbreviate the one it refused, that the refused value names another
    of its parameters, or the values it gives that match the request's words
    (`ste.agent.hints`), and, where this very call failed before in the trajectory, that
    it is stuck."""
    told = step.observation or ""
    earlier = [s.observation for s in trajectory.steps if s.observation and s is not step]
    hint = (
        exact_form_hint(arguments, told, earlier)
        or abbreviations_hint(arguments, told)
        or parameter_hint(arguments, told, tool.parameters)
        or request_hint(arguments, told, trajectory.query)
    )
    if hint:
        told += f" {hint}"
    if step.call is not None and _failed_before(trajectory, step.call):
        told += f"\n{render('observation_repeated_call')}"
    return told


async def run_turns(
    model: ChatModel,
    protocol: AgentProtocol,
    tools: list[Tool],
    messages: list[Message],
    query: str,
    settings: TurnSettings = TurnSettings(),
    on_step: Callable[[Step], None] | None = None,
    is_new_error: Callable[[str], bool] | None = None,
) -> Trajectory:
    """Work on `query` whose turn is already the last of `messages`; append every turn to it.

    Taking the conversation from the caller lets exploration keep several trials in one
    conversation (short-term memory). With `execute_tools=False` the call is not run and the
    model is told it was recorded (the paper's no-execution ablation). With `require_call`,
    a final answer given before any tool call is answered with feedback asking for the call:
    small models otherwise answer from memory, and a tool agent must ground its answer.
    Each tool error that `is_new_error` calls new (then remembered) earns one more turn, up
    to `extra_turns`. With `answer_at_limit`, a trajectory that reaches its turn limit
    without a final answer after a successful call is asked for one (`answer_at_limit`).
    """
    started = time.perf_counter()
    by_name = {t.name: t for t in tools}
    trajectory = Trajectory(query=query, model=model.name, protocol=protocol.name)
    turns, limit = 0, settings.max_turns
    answered_without_call = False
    while turns < limit:
        turns += 1
        generation = settings.generation
        if answered_without_call and (forced := protocol.grammar(tools, answer=False)):
            # told to call the tool after answering without one, a 1.5B explorer answered
            # again, and echoed the feedback as its answer, until its turns ran out (2 of
            # a country tool's 9 dev trials): its next reply can only be a call
            generation = generation.but(gbnf=forced)
        elif settings.grammar:
            generation = generation.but(gbnf=protocol.grammar(tools))
        response, parsed = await protocol.ask(model, messages, tools, generation)
        trajectory.usage.add(response.usage)
        messages.append(protocol.reply_message(response, parsed))

        observations: list[str] = []
        final: FinalAnswer | None = None
        if settings.require_call and not trajectory.calls:
            parsed = [
                ParseError(render(f"{protocol.name}_no_call"), p.thought)
                if isinstance(p, FinalAnswer) or (isinstance(p, ParseError) and p.announces_answer)
                else p
                for p in parsed
            ]
            answered_without_call = not any(isinstance(p, Action) for p in parsed)
        for meaning in parsed:
            step = Step(raw=response.text, thought=meaning.thought)
            shown = ""  # what the model is told, when it is more than the step's observation
            if isinstance(meaning, FinalAnswer):
                step.final_answer = meaning.answer
                final = meaning
            elif isinstance(meaning, ParseError):
                step.parse_error = meaning.message
                step.observation = meaning.message
                observations.append(meaning.message)
            elif isinstance(meaning, Action):
                step.call = CallRecord(name=meaning.name, arguments=meaning.arguments)
                if settings.stop_at_first_call:
                    trajectory.steps.append(step)
                    if on_step:
                        on_step(step)
                    trajectory.stop_reason = "first_call"
                    trajectory.messages = messages
                    trajectory.seconds = time.perf_counter() - started
                    return trajectory
                if settings.execute_tools:
                    result = await execute(
                        by_name[meaning.name],
                        meaning.arguments,
                        timeout=settings.tool_timeout,
                        max_chars=settings.max_observation_chars,
                    )
                    step.observation = result.observation
                    step.tool_ok = result.ok
                    step.error_kind = result.error_kind
                    if not result.ok:  # the step keeps the tool's own words
                        shown = _told(trajectory, step, meaning.arguments, by_name[meaning.name])
                    if (
                        not result.ok
                        and is_new_error is not None
                        and is_new_error(result.observation)
                        and limit < settings.max_turns + settings.extra_turns
                    ):
                        limit += 1  # a new error: one more turn to act on it
                else:
                    step.observation = render("no_exec_observation")
                observations.append(shown or step.observation)
            trajectory.steps.append(step)
            if on_step:  # as it happens: `ste run` prints each turn when it is done
                on_step(step)

        if final is not None and not observations:
            trajectory.final_answer = final.answer
            trajectory.stop_reason = "final_answer"
            break
        if observations:
            messages.extend(
                protocol.observation_messages(
                    [p for p in parsed if not isinstance(p, FinalAnswer)], observations
                )
            )
    if (
        settings.answer_at_limit
        and trajectory.final_answer is None
        and any(step.tool_ok for step in trajectory.calls)
    ):
        await answer_at_limit(model, protocol, tools, messages, trajectory, settings)
    trajectory.messages = messages
    trajectory.seconds = time.perf_counter() - started
    return trajectory


async def answer_at_limit(
    model: ChatModel,
    protocol: AgentProtocol,
    tools: list[Tool],
    messages: list[Message],
    trajectory: Trajectory,
    settings: TurnSettings,
) -> None:
    """Ask once for the final answer after the last turn. A call in the reply is not run
    (it is answered so, for a conversation that goes on); a reply without an answer is
    recorded as a step and the trajectory stays stopped at `max_turns`."""
    messages.append({"role": "user", "content": render(f"{protocol.name}_answer_at_limit")})
    response, parsed = await protocol.ask(model, messages, tools, settings.generation)
    trajectory.usage.add(response.usage)
    messages.append(protocol.reply_message(response, parsed))
    answer = next((p for p in parsed if isinstance(p, FinalAnswer)), None)
    step = Step(raw=response.text, thought=parsed[0].thought if parsed else "")
    if answer is not None and answer.answer.strip():
        step.final_answer = answer.answer
        trajectory.final_answer = answer.answer
        trajectory.stop_reason = "answer_at_limit"
    else:
        step.parse_error = "no final answer when asked for it at the turn limit"
    trajectory.steps.append(step)
    calls = [p for p in parsed if isinstance(p, Action)]
    if calls:
        not_run = render("observation_after_limit")
        messages.extend(protocol.observation_messages(calls, [not_run] * len(calls)))


async def run_agent(
    model: ChatModel,
    tools: list[Tool],
    query: str,
    *,
    protocol: ProtocolName = "react",
    preface: str = "",
    settings: TurnSettings | None = None,
    on_step: Callable[[Step], None] | None = None,
    **options: Any,
) -> Trajectory:
    """Solve one query from scratch with the given tools. A `preface` (demonstrations, say)
    goes before the query in its message. `settings`, or keywords naming its fields or
    those of `Generation` (`max_turns=2, temperature=0.7`), say how."""
    chosen = get_protocol(protocol)
    messages = chosen.first_messages(tools, query)
    if preface:
        messages[-1] = {**messages[-1], "content": f"{preface}\n\n{messages[-1]['content']}"}
    if settings is None:
        settings = TurnSettings.of(**options)
    elif options:
        raise TypeError("give settings or keywords, not both")
    return await run_turns(model, chosen, tools, messages, query, settings, on_step)
