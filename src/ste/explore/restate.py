"""The restated request: hindsight for a request that left out a value the tool needs.

A small model often imagines a request without a value every call needs ("the monthly
payment of a 20-year loan at 5%": no amount; "count the words of a text": no text), then
calls the tool with one it made up. No corrected call can make that trial right (the
request has nothing to correct it with), but the trial itself is sound: the call ran, its
result was read. So the model is asked to write the request again, the same task with the
made-up values given by the user (hindsight relabelling, as Learn-by-Interact's backward
construction writes an instruction from a trajectory). The restated request is kept only
if it passes every rule check with the trial's own calls and answer (the values now come
from it) and keeps every number the first request gave; otherwise the trial stays as it
was (and is reviewed). The restated request is then answered again from the same results
(the answer was written for the first request), the new answer kept only if every rule
check still passes (`answer_again`).

Only a request that lacks values is restated: every other rule check passes (a natural
request aside: one naming a value by its kind only, "a text", is what lacks it), every
made-up value is of a required parameter, and every number the request gives was passed.
A made-up optional value (a month nobody asked for) is the call's fault: the review's.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from ste.agent.loop import AgentProtocol
from ste.agent.parsed import Action, FinalAnswer
from ste.agent.trajectory import Step
from ste.checks.arguments import (
    ANY_NUMBER,
    choices,
    grounded_number,
    invented_arguments,
    mentions,
)
from ste.checks.literals import made_up_identifiers
from ste.checks.rules import rule_checks
from ste.checks.unit_codes import units_not_asked
from ste.explore.conversation import ask_text, user_message
from ste.explore.memory import clean_query
from ste.models.base import ChatModel, Generation, Message, Usage
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool
from ste.verdicts import ask_until_read

# the failing checks a request that lacks values may have: the made-up values themselves,
# and a request that names what it lacks by its kind ("a text", "an amount")
# (and a unit that came with a made-up quantity: "42 km" for "how many miles did I run?")
# (and an identifier the call made up: version '1.4.2' for "which of two versions is newer?")
# (and content it made up: a text to count the words of, for "my favourite pangram")
RESTATABLE = frozenset(
    {"grounded", "identifiers_given", "content_given", "natural_query", "unit_codes_as_asked"}
)


def missing_values(trial: Trial, tool: Tool) -> list[tuple[str, Any]]:
    """The made-up values of a trial whose only fault is a request without them: (required
    parameter, the value its successful call passed), or [] (nothing to restate)."""
    if not trial.query or not trial.final_answer:
        return []
    failed = {c.name for c in rule_checks(trial, tool, require_reflection=False) if not c.ok}
    if not failed & {"grounded", "identifiers_given", "content_given"} or not failed <= RESTATABLE:
        return []
    required = set(tool.parameters.get("required", []))
    invented = invented_arguments(trial, tool)
    identifiers = made_up_identifiers(trial)
    made_up = [name for _step, name, _shown in invented] + [i[1] for i in identifiers]
    if any(name not in required for name in made_up):
        return []
    passed = {
        float(v)
        for step in trial.call_steps
        if step.call is not None and step.tool_ok
        for v in step.call.arguments.values()
        if isinstance(v, int | float) and not isinstance(v, bool)
    }
    if any(not grounded_number(n, passed) for n in written_numbers(trial.query)):
        return []  # a number the request gives went unused: the call is wrong, not the request
    values: dict[str, Any] = {}
    for step, name, _shown in invented:
        if step.call is not None:
            values.setdefault(name, step.call.arguments[name])
    for _step, name, value, _number in identifiers:
        values.setdefault(name, value)
    for name, value in unnamed_texts(trial, tool):  # one word, which `grounded` lets pass
        values.setdefault(name, value)
    for name, value, _unit in units_not_asked(trial):  # the made-up quantity's unit
        values.setdefault(name, value)
    return list(values.items())


_IDENTIFIER = re.compile(r"[a-z0-9]+(?:_[a-z0-9]+)+")


def unnamed_texts(trial: Trial, tool: Tool) -> list[tuple[str, str]]:
    """The required free-text values (not a choice: no enum, not one of the values its
    description quotes) of the successful calls that the request does not name, in whole or
    by the part the tool qualifies (`_named`): ('from_city', 'Paris') for "the distance
    between two cities"."""
    properties = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    unnamed = []
    for step in trial.call_steps:
        if step.call is None or not step.tool_ok:
            continue
        for name, value in step.call.arguments.items():
            schema = properties.get(name, {})
            if name not in required or schema.get("enum") or value in choices(schema):
                continue  # a choice: the request names it in its own words
            if isinstance(value, str) and _IDENTIFIER.fullmatch(value):
                continue  # a name in code ("top_words"), which a request says in words
            if isinstance(value, str) and value.strip() and not _named(trial.query, value):
                unnamed.append((name, value))
    return unnamed


def _named(query: str, value: str) -> bool:
    """Whether the request names `value`, or the part of it the tool qualifies, of four
    letters or more: a path's last part ('Paris' of 'Europe/Paris', 'New York' of
    'America/New_York'), a name's before its comma ('London' of 'London, GB'). "Paris time"
    is the request in the user's words; "a time in Europe" names no city."""
    if mentions(query, value):
        return True
    value = value.strip()
    if "/" in value:
        part = value.rsplit("/", 1)[1]
    elif "," in value:
        part = value.split(",", 1)[0]
    else:
        return False
    part = part.replace("_", " ").strip()
    return sum(c.isalpha() for c in part) >= 4 and mentions(query, part)


def written_numbers(text: str) -> set[float]:
    """The numbers written in digits in `text`, single digits too ("a 5-year loan")."""
    return {float(n) for n in ANY_NUMBER.findall(text.replace(",", ""))}


def shown_values(values: Sequence[tuple[str, Any]], tool: Tool) -> str:
    """The made-up values as the prompt lists them, each with its parameter's description."""
    properties = tool.parameters.get("properties", {})
    lines = []
    for name, value in values:
        described = str(properties.get(name, {}).get("description", "")).strip()
        shown = f"{value:g}" if isinstance(value, float) else str(value)
        lines.append(f"- {shown}" + (f" ({described})" if described else ""))
    return "\n".join(lines)


def restated_trial(trial: Trial, query: str) -> Trial:
    """The trial with its request restated, the first one kept beside it."""
    return trial.model_copy(update={"query": query, "restated_from": trial.query})


def acceptable(restated: Trial, first: str, tool: Tool) -> str | None:
    """None when the restated trial passes every rule check and keeps the first request's
    numbers; else what is wrong, told to the model when it is asked again."""
    if not restated.query:
        return "write the request itself"
    lost = sorted(written_numbers(first) - written_numbers(restated.query))
    if lost:
        return f"keep every number of the first request ({', '.join(f'{n:g}' for n in lost)})"
    failed = [c for c in rule_checks(restated, tool, require_reflection=False) if not c.ok]
    if failed:
        return failed[0].reason
    if unnamed := unnamed_texts(restated, tool):
        return f"it does not give {unnamed[0][1]!r}"
    return None


async def restate(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    trial: Trial,
    values: Sequence[tuple[str, Any]],
    generation: Generation,
    usage: Usage,
) -> Trial | None:
    """Ask the model (in the episode's conversation `messages`) to write the request again
    with the made-up `values` in it; the trial with the restated request, or None when no
    reply passes `acceptable` (the conversation then ends with the last reply)."""
    prompt = render("explore_restate", values=shown_values(values, tool))
    messages.append(user_message(prompt))
    problem: list[str] = []

    async def ask(attempt: int) -> str:
        sampling = generation.but(seed=(generation.seed or 0) + attempt)
        return await ask_text(model, protocol, tool, messages, usage, sampling)

    def read(reply: str) -> Trial | None:
        # the request repeats the values the prompt lists: only its instructions are an echo
        query = clean_query(reply, render("explore_restate", values=""))
        restated = restated_trial(trial, query)
        wrong = acceptable(restated, trial.query, tool)
        problem[:] = [wrong] if wrong else []
        return None if wrong else restated

    def remind(reply: str) -> None:
        again = render("explore_restate_again", problem=problem[0])
        messages.append(user_message(again))

    restated, _replies = await ask_until_read(ask, read, remind, attempts=2)
    if restated is None:
        return None
    messages[-1] = {"role": "assistant", "content": restated.query}
    return await answer_again(model, protocol, tool, messages, restated, generation, usage)


async def answer_again(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    trial: Trial,
    generation: Generation,
    usage: Usage,
) -> Trial:
    """The restated trial answered again from its results (its answer was written for the
    first request); the new answer replaces the old only if every rule check still passes.
    A call in the reply is not run (answered so, for the conversation that goes on)."""
    messages.append(user_message(render(f"explore_restate_answer_{protocol.name}")))
    response, parsed = await protocol.ask(model, messages, [tool], generation)
    usage.add(response.usage)
    messages.append(protocol.reply_message(response, parsed))
    calls = [p for p in parsed if isinstance(p, Action)]
    if calls:
        not_run = render("observation_after_limit")
        messages.extend(protocol.observation_messages(calls, [not_run] * len(calls)))
    answer = next((p.answer.strip() for p in parsed if isinstance(p, FinalAnswer)), "")
    if not answer or calls:
        return trial
    step = Step(raw=response.text, thought=parsed[0].thought if parsed else "", final_answer=answer)
    again = trial.model_copy(update={"final_answer": answer, "steps": [*trial.steps, step]})
    failed = [c for c in rule_checks(again, tool, require_reflection=False) if not c.ok]
    return trial if failed else again
