"""Imagining a request: the model writes one, and a reply that cannot be a useful trial is
asked for once more, told what is wrong (`imagine`)."""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence

from ste.agent.loop import AgentProtocol
from ste.checks.requests import declines, natural_query
from ste.distill.dedup import DEFAULT_THRESHOLDS, lexical_similarity
from ste.explore.conversation import ask_text, user_message
from ste.explore.memory import clean_query
from ste.explore.needs import lacking
from ste.explore.ranges import moved_inside, outside
from ste.explore.settings import ExploreSettings
from ste.explore.unavailable import names_unavailable
from ste.explore.worn import names_worn
from ste.models.base import ChatModel, Generation, Message, Usage
from ste.prompts import render
from ste.tools.tool import Tool
from ste.verdicts import ask_until_read


async def imagine(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    prompt: str,
    settings: ExploreSettings,
    seed: int,
    usage: Usage,
    memory: str = "",
    earlier: Sequence[str] = (),
    refusals: Sequence[str] = (),
    fulfilled: Collection[str] = (),
    unavailable: Mapping[str, str] | None = None,
    worn: Mapping[str, int] | None = None,
) -> tuple[str, list[str]]:
    """Ask for a query; a reply without one, whose request is not one a person would write
    (`natural_query`: talk about the tool, a refusal, JSON), that plainly lacks a value the
    tool needs (`ste.explore.needs`: no amount for a loan), or that nearly repeats one of
    the `earlier` requests of the tool (which distillation would drop as a duplicate), or
    that asks about a date outside what the tool's `refusals` say it covers
    (`ste.explore.ranges`), is asked once more, told what is wrong. (query or "", raw
    replies) If the last is still not natural it is tried all the same (it teaches the
    tool), unless it declines to be a request at all (`declines`: a refusal, an offer to
    help, the prompt echoed), or nearly repeats one of the `fulfilled` requests (tried
    again, it teaches nothing: a dev exploration ran one request three times); one still
    outside what the tool covers is tried with its dates moved inside (`moved_inside`),
    or not at all; so is one naming a value the tool said it does not hold (`unavailable`,
    `ste.explore.unavailable`). A request naming a value earlier trials kept to (`worn`,
    `ste.explore.worn`) is asked for once more about other values, and tried as it is if
    the reply to that is no better.

    `memory` (the long-term memory block) is sent after the prompt; only the prompt's own
    instructions count as echoed text, so a new query may share words with earlier ones."""
    messages.append(user_message(f"{prompt}\n\n{memory}" if memory else prompt))
    tokens = settings.imagine_max_tokens

    async def ask(attempt: int) -> str:
        # a reply asked again is sampled anew: at the first seed a confident model writes
        # the same request it was told nearly repeats an earlier one
        sampling = Generation(settings.temperature, tokens, seed=seed + attempt)
        return await ask_text(model, protocol, tool, messages, usage, sampling)

    unnatural: list[str] = []  # the last request read that is not natural: kept at worst
    problem: list[str] = []  # why the latest reply's request is not natural, if it is not

    def read(raw: str) -> str | None:
        problem.clear()
        lacks.clear()
        query = clean_query(raw, prompt)
        check = natural_query(query, tool) if query else None
        if check is not None and not check.ok:
            unnatural[:] = [query]
            problem.append(check.reason)
            return None
        if query and (missing := lacking(query, tool)):
            unnatural[:] = [query]
            lacks[:] = [missing]
            return None
        if query and (same := nearly_repeats(query, earlier)):
            unnatural[:] = [query]
            repeated[:] = [same]
            return None
        if query and (missed := outside(query, refusals)):
            unnatural[:] = [query]
            beyond[:] = [(missed[0], missed[1].said)]
            return None
        if query and (held := names_unavailable(query, unavailable or {})):
            unnatural[:] = [query]
            beyond[:] = [held]
            return None
        if query and (again := names_worn(query, worn or {})):
            usable[:] = [query]  # every other check passed: tried if no better one comes
            kept_to[:] = [again]
            return None
        return query or None

    lacks: list[str] = []  # what of the values the tool needs the latest request lacks
    repeated: list[str] = []  # the earlier request the latest reply nearly repeats
    beyond: list[tuple[str, str]] = []  # what it asks outside the tool's data, and its words
    kept_to: list[dict[str, int]] = []  # the worn values the latest request names
    usable: list[str] = []  # the latest request faulted for its worn values alone

    def remind(reply: str) -> None:
        if problem:
            messages.append(user_message(render("explore_query_unnatural", problem=problem[0])))
        elif lacks:
            messages.append(user_message(render("explore_query_lacking", problem=lacks.pop())))
        elif repeated:
            messages.append(user_message(render("explore_query_repeated", earlier=repeated.pop())))
        elif beyond:
            value, said = beyond.pop()
            outside_prompt = render("explore_query_outside", value=value, said=said)
            messages.append(user_message(outside_prompt))
        elif kept_to:
            values = ", ".join(f"'{v}' ({n} trials)" for v, n in kept_to.pop().items())
            messages.append(user_message(render("explore_query_worn", values=values)))
        else:
            messages.append(user_message(render("explore_query_retry")))

    query, replies = await ask_until_read(ask, read, remind)
    if query is None and usable:
        query = usable[0]
    # the last request read still teaches the tool, though it cannot become an example; not
    # one that declines to be a request; one the tool has already said it cannot fulfil
    # with its dates moved into what the tool covers, if they can be
    last = unnatural[0] if unnatural else ""
    if last and (same := nearly_repeats(last, earlier)) and same in fulfilled:
        last = ""
    if last and outside(last, refusals):
        last = moved_inside(last, refusals) or ""
    if last and names_unavailable(last, unavailable or {}):
        last = ""
    if query is None and last and not declines(last):
        query = last
    if query is None:
        return "", replies
    messages[-1] = {"role": "assistant", "content": query}  # the query alone, not its wrapping
    return query, replies


def nearly_repeats(query: str, earlier: Sequence[str]) -> str | None:
    """The earlier request `query` nearly repeats (lexical similarity at distillation's
    dedup threshold, with the same values: numbers, names and codes), if any: such a trial
    could never become another example. A request of the same form with other values ("a
    $400,000 mortgage at 5.5% for 20 years" after "$300,000 at 5% for 30 years") is a new
    task: tried, it may get right what the first got wrong."""
    if not earlier:
        return None
    similarity = lexical_similarity([query, *earlier])[0][1:]
    values = _values(query)
    alike = [i for i in range(len(earlier)) if _values(earlier[i]) == values]
    best = max(alike, key=similarity.__getitem__, default=None)
    if best is None or similarity[best] < DEFAULT_THRESHOLDS["lexical"]:
        return None
    return earlier[best]


_VALUE = re.compile(r"\d[\d.,:/-]*\d|\d|\b[^\W\d_]*[A-Z][\w-]*")


def _values(text: str) -> set[str]:
    """The numbers, names and codes a request gives (its first word aside: a capital)."""
    found = _VALUE.findall(text.strip())
    if found and text.strip().startswith(found[0]) and not found[0][0].isdigit():
        found = found[1:]
    return {value.casefold() for value in found}
