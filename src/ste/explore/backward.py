"""A request written backward from a call that ran: what a user would ask that the call's
values and result answer (hindsight relabelling, as Learn-by-Interact's backward
construction writes an instruction from a trajectory).

Two stages use it. Exploration, where the model imagined no request it could try
(`request_from_call`): in a bundled exploration 13 of 90 trials never ran, 5 of the 9 of
the status-code tool, whose explorer kept asking for "the status code of
https://example.com", a request without the code the tool explains. Asked for a call in a
fresh conversation, the same model writes `{"code": 404}` at once. And distillation, where
a trial's request alone is at fault (`ste.distill.request_again`).

The model writing the request sees the tool's purpose, the call's arguments and its
result, never an earlier request (shown one, a small model copies it).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from ste.agent.loop import AgentProtocol, TurnSettings, run_turns
from ste.checks.requests import natural_query
from ste.explore.imagine import nearly_repeats
from ste.explore.memory import clean_query
from ste.explore.needs import lacking
from ste.explore.restate import unnamed_texts
from ste.explore.settings import ExploreSettings, trial_seed
from ste.models.base import ChatModel, Generation, Usage
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

RESULT_CHARS = 2000  # of each result shown
REQUEST_TOKENS = 160
REQUEST_TRIES = 2  # greedy, then sampled: until a reply holds a new, natural request
CALL_TRIES = 2  # calls asked for, until one runs and its request is new
EARLIER_SHOWN = 5  # earlier requests of the tool named when a call is asked for


def results_shown(trial: Trial, as_calls: bool = True) -> str:
    """The successful calls of the answered attempt, each with its result (cut): written
    as calls, `name({...}) -> result`, or as `- with {...}: result` (a small model asked
    for a request copies a call's syntax as the request)."""
    lines = []
    for step in trial.call_steps:
        if step.call is None or step.tool_ok is not True:
            continue
        arguments = json.dumps(step.call.arguments, ensure_ascii=False)
        result = (step.observation or "")[:RESULT_CHARS]
        shown = f"{step.call.name}({arguments}) ->" if as_calls else f"- with {arguments}:"
        lines.append(f"{shown} {result}")
    return "\n".join(lines)


def tool_summary(tool: Tool) -> str:
    """The first paragraph of the tool's description: what it does."""
    return tool.description.strip().split("\n\n", 1)[0].replace("\n", " ")


async def write_request(
    model: ChatModel,
    tool: Tool,
    trial: Trial,
    fault: str,
    seed: int,
    usage: Usage | None = None,
) -> tuple[str, str]:
    """(the request, the last raw reply) that `trial`'s successful calls answer, written
    without `fault` (what was wrong with the request before, as the model is told it; ""
    for none); "" where no reply held a natural request other than `trial.query`. A
    greedy try, then a sampled one."""
    prompt = render(
        "distill_request_again",
        tool_name=tool.name,
        summary=tool_summary(tool),
        results=results_shown(trial, as_calls=False),
        fault=fault,
    )
    instruction = render("distill_request_again", tool_name="", summary="", results="", fault="")
    query, raw = "", ""
    for attempt in range(REQUEST_TRIES):
        temperature = 0.0 if attempt == 0 else 1.0
        attempt_seed = trial_seed(seed, trial.id, 3, attempt)
        sampling = Generation(temperature, REQUEST_TOKENS, seed=attempt_seed)
        response = await model.chat([{"role": "user", "content": prompt}], generation=sampling)
        if usage is not None:
            usage.add(response.usage)
        raw = response.text
        query = clean_query(raw, instruction)
        new = query and query.casefold() != trial.query.casefold()
        if new and natural_query(query, tool).ok:
            return query, raw
        query = ""  # no request, the old one again, or one no user would write
    return query, raw


async def request_from_call(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    settings: ExploreSettings,
    names: dict[str, Any],
    usage: Usage,
    earlier: Sequence[str] = (),
) -> tuple[str, dict[str, Any] | None, list[str]]:
    """Where the model imagined no request it could try: the model calls the tool once, in
    a fresh conversation, with values of its own choosing; the call runs; a request is
    written that it answers (`write_request`). (the request or "", the call it was written
    from, the raw replies) The trial then tries the request like any other: the call made
    here is not part of it. A call that fails, a request that does not give the call's
    values (`gives_the_call`), or one that nearly repeats one of the `earlier` (the model
    picks the values its tool's description gives as examples, told to choose others or
    not), is tried once more at another seed. Nothing where the tool
    is not run (`execute=False`), or where a call made outside the trial could change what
    it sees or does: a tool of a stateful toolbox, or one that runs only where the user
    allows its side effects (`Tool.runs_by_default`)."""
    if not settings.execute or tool.stateful or not tool.runs_by_default:
        return "", None, []
    shown = "".join(f'\n- "{query}"' for query in list(earlier)[-EARLIER_SHOWN:])
    avoid = "\n\n" + render("explore_call_first_earlier", requests=shown) if shown else ""
    prompt = render("explore_call_first", tool_name=tool.name, earlier=avoid)
    replies: list[str] = []
    for attempt in range(CALL_TRIES):
        seed = trial_seed(names["seed"], tool.name, 5, attempt)
        turns = TurnSettings(
            max_turns=1,
            generation=Generation(settings.temperature, settings.max_tokens, seed=seed),
            tool_timeout=settings.tool_timeout,
            require_call=False,
        )
        messages = protocol.first_messages([tool], prompt)
        trajectory = await run_turns(model, protocol, [tool], messages, prompt, turns)
        usage.add(trajectory.usage)
        replies += [step.raw for step in trajectory.steps]
        ran = [step for step in trajectory.steps if step.call is not None and step.tool_ok]
        if not ran or (call := ran[0].call) is None:
            continue
        called = Trial(**names, steps=ran[:1])
        query, raw = await write_request(model, tool, called, "", seed, usage)
        replies.append(raw)
        written = called.model_copy(update={"query": query})
        if query and gives_the_call(written, tool) and not nearly_repeats(query, earlier):
            return query, {"name": call.name, "arguments": call.arguments}, replies
    return "", None, replies


def gives_the_call(trial: Trial, tool: Tool) -> bool:
    """Whether the request written from the trial's call gives the values the tool needs:
    the model once wrote "Is this an ISBN-13 number?" from a call that passed one."""
    return lacking(trial.query, tool) is None and not unnamed_texts(trial, tool)
