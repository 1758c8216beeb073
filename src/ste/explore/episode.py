"""One episode of exploration: a conversation of trials (imagine, try, reflect) on one tool.

The conversation is the short-term memory: later trials see every earlier trial of the
episode and are asked to go further. The long-term memory (every earlier query of the tool
and whether it was fulfilled) goes into the first imagination prompt of each conversation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from typing import Any

from ste.agent.loop import AgentProtocol, TurnSettings, run_turns
from ste.agent.trajectory import Step
from ste.checks.rules import declines, natural_query
from ste.distill.dedup import DEFAULT_THRESHOLDS, lexical_similarity
from ste.errors import ModelError
from ste.explore.conversation import ask_text, user_message
from ste.explore.coverage import error_kind
from ste.explore.memory import ToolMemory, clean_query
from ste.explore.ranges import moved_inside, outside
from ste.explore.reflection import reflect
from ste.explore.restate import missing_values, restate
from ste.explore.review import review
from ste.explore.rundir import trial_id
from ste.explore.settings import ExploreSettings, trial_seed
from ste.explore.unavailable import names_unavailable
from ste.models.base import ChatModel, Generation, Message, Usage
from ste.models.retry import RequestFailed
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool
from ste.verdicts import ask_until_read


def system_message(protocol: AgentProtocol, tool: Tool, today: str | None = None) -> Message:
    instructions = protocol.system_message([tool])["content"]
    content = render("explore_system", agent_instructions=instructions)
    if today:
        content += "\n" + render("explore_today", today=today)
    return {"role": "system", "content": content}


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
) -> tuple[str, list[str]]:
    """Ask for a query; a reply without one, whose request is not one a person would write
    (`natural_query`: talk about the tool, a refusal, JSON), or that nearly repeats one of
    the `earlier` requests of the tool (which distillation would drop as a duplicate), or
    that asks about a date outside what the tool's `refusals` say it covers
    (`ste.explore.ranges`), is asked once more, told what is wrong. (query or "", raw
    replies) If the last is still not natural it is tried all the same (it teaches the
    tool), unless it declines to be a request at all (`declines`: a refusal, an offer to
    help, the prompt echoed), or nearly repeats one of the `fulfilled` requests (tried
    again, it teaches nothing: a dev exploration ran one request three times); one still
    outside what the tool covers is tried with its dates moved inside (`moved_inside`),
    or not at all; so is one naming a value the tool said it does not hold (`unavailable`,
    `ste.explore.unavailable`).

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
        query = clean_query(raw, prompt)
        check = natural_query(query, tool) if query else None
        if check is not None and not check.ok:
            unnatural[:] = [query]
            problem.append(check.reason)
            return None
        if query and (same := nearly_repeats(query, earlier)):
            unnatural[:] = [query]
            repeated[:] = [same]
            return None
        if query and (missed := outside(query, refusals)):
            unnatural[:] = [query]
            beyond[:] = [(missed[0], missed[1].said)]
            return None
        if query and (lacking := names_unavailable(query, unavailable or {})):
            unnatural[:] = [query]
            beyond[:] = [lacking]
            return None
        return query or None

    repeated: list[str] = []  # the earlier request the latest reply nearly repeats
    beyond: list[tuple[str, str]] = []  # what it asks outside the tool's data, and its words

    def remind(reply: str) -> None:
        if problem:
            messages.append(user_message(render("explore_query_unnatural", problem=problem[0])))
        elif repeated:
            messages.append(user_message(render("explore_query_repeated", earlier=repeated.pop())))
        elif beyond:
            value, said = beyond.pop()
            outside_prompt = render("explore_query_outside", value=value, said=said)
            messages.append(user_message(outside_prompt))
        else:
            messages.append(user_message(render("explore_query_retry")))

    query, replies = await ask_until_read(ask, read, remind)
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


async def run_trial(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    settings: ExploreSettings,
    episode: int,
    trial: int,
    memory: ToolMemory,
    *,
    after_failure: bool = False,
) -> Trial:
    """Imagine a query, try it, reflect; append all of it to `messages`; return the trial.
    `after_failure` (no call of the last trial succeeded): the request is asked to be
    simpler; asked to explore further, a small model builds on the failed request."""
    started = time.perf_counter()
    seed = trial_seed(settings.seed, tool.name, episode, trial)
    names: dict[str, Any] = {  # what identifies the trial
        "id": trial_id(tool.name, episode, trial),
        "tool": tool.name,
        "episode": episode,
        "trial": trial,
        "seed": seed,
    }
    first_in_conversation = len(messages) == 1
    segment_start = len(messages)
    usage = Usage()

    remembered = ""
    if first_in_conversation:
        prompt = render("explore_imagine_first", tool_name=tool.name)
        if settings.ltm:
            remembered = memory.prompt(repair=episode >= settings.episodes)
    else:
        prompt = render("explore_imagine_simpler" if after_failure else "explore_imagine_next")
    earlier = [query for query, _ in memory.entries if query] if settings.ltm else []
    fulfilled = {query for query, ok in memory.entries if query and ok} if settings.ltm else set()
    refusals = memory.coverage.error_examples if settings.ltm else []
    query, imagined = await imagine(
        model,
        protocol,
        tool,
        messages,
        prompt,
        settings,
        seed,
        usage,
        memory=remembered,
        earlier=earlier,
        refusals=refusals,
        fulfilled=fulfilled,
        unavailable=memory.unavailable if settings.ltm else None,
    )
    steps: list[Step] = []
    found: list[str] = []  # what the review found (`ste.explore.review`)
    reviewed_at: int | None = None
    restated_from: str | None = None
    final_answer = None
    stop_reason = "no query"
    solved, reflection_reason, reflection_raw = None, "", ""
    if query:
        messages.append(user_message(render(f"explore_try_{protocol.name}", query=query)))
        turns = TurnSettings(
            max_turns=settings.max_turns,
            generation=Generation(settings.temperature, settings.max_tokens, seed=seed),
            tool_timeout=settings.tool_timeout,
            execute_tools=settings.execute,
            require_call=True,
            extra_turns=settings.extra_turns,
            answer_at_limit=True,
        )
        seen = set(memory.coverage.errors)

        def is_new_error(observation: str) -> bool:
            kind = error_kind(observation)
            new = kind not in seen
            seen.add(kind)
            return new

        trajectory = await run_turns(
            model, protocol, [tool], messages, query, turns, is_new_error=is_new_error
        )
        usage.add(trajectory.usage)
        steps = trajectory.steps
        final_answer, stop_reason = trajectory.final_answer, trajectory.stop_reason
        if settings.review:
            so_far = {"steps": steps, "final_answer": final_answer, "stop_reason": stop_reason}
            # its time: the checks read "this year" as the year it was written
            finished = Trial(**names, query=query, **so_far, finished_at=time.time())
            # a request that left out values the call needed is written again with them;
            # any other fault of the work is the review's
            restated = None
            if values := missing_values(finished, tool):
                sampling = Generation(settings.temperature, settings.imagine_max_tokens, seed=seed)
                restated = await restate(
                    model, protocol, tool, messages, finished, values, sampling, usage
                )
            reviewed = None
            if restated is not None:
                restated_from, query = finished.query, restated.query
                steps, final_answer = restated.steps, restated.final_answer
            else:
                reviewed = await review(
                    model, protocol, tool, messages, finished, turns, is_new_error=is_new_error
                )
            if reviewed is not None:
                found = reviewed.findings
                reviewed_at = len(steps) if reviewed.supersedes else None
                steps = [*steps, *reviewed.steps]
                final_answer, stop_reason = reviewed.final_answer, reviewed.stop_reason
                usage.add(reviewed.usage)
        if settings.reflection:
            solved, reflection_reason, reflection_raw = await reflect(
                model, protocol, tool, messages, seed, usage
            )
    elif settings.reflection:
        solved, reflection_reason = False, "no query was imagined"

    calls = [s for s in steps if s.call is not None]  # every call, a reviewed attempt's too
    return Trial(
        **names,
        query=query,
        imagination=imagined,
        steps=steps,
        final_answer=final_answer,
        stop_reason=stop_reason,
        calls=len(calls),
        tool_errors=sum(s.tool_ok is False for s in calls),
        format_errors=sum(s.parse_error is not None for s in steps),
        call_succeeded=any(s.tool_ok for s in calls),
        solved=solved,
        reflection=reflection_raw,
        reflection_reason=reflection_reason,
        review=found,
        reviewed_at=reviewed_at,
        restated_from=restated_from,
        messages=messages[segment_start:],
        usage=usage,
        seconds=round(time.perf_counter() - started, 3),
        finished_at=round(time.time(), 3),
    )


async def run_episode(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    settings: ExploreSettings,
    episode: int,
    memory: ToolMemory,
    done: list[Trial],
    on_trial: Callable[[Trial], Awaitable[None] | None],
    start_state: Any = None,
    *,
    today: str | None = None,
) -> bool:
    """Run the trials of `episode` not in `done` (its finished trials, in order), inside
    `ste.explore.world.episode_world` (its reset, its stateful instance). `today`: the
    run's date, told to the model in the system message.

    With short-term memory the conversation is rebuilt from the finished trials, so a
    resumed episode continues exactly where it stopped. `memory` (the tool's long-term
    memory) takes in every new trial; each trial records the episode's `start_state`.
    Returns whether the new trials covered anything the memory had not (`Coverage`).
    """
    gained = False
    system = system_message(protocol, tool, today)
    messages: list[Message] = [system]
    if settings.stm:
        for record in done:
            if record.query:  # a trial without a request left the conversation (below)
                messages.extend(record.messages)
    # the conversation's last trial with a request (a resumed episode's too)
    last = next((r for r in reversed(done) if r.query and not r.error), None)
    for trial in range(len(done), settings.trials):
        if not settings.stm:
            messages = [system]
        trial_start = len(messages)
        failed = settings.stm and last is not None and not last.call_succeeded
        try:
            record = await run_trial(
                model,
                protocol,
                tool,
                messages,
                settings,
                episode,
                trial,
                memory,
                after_failure=failed,
            )
        except RequestFailed as failure:  # the endpoint failed this trial: the run goes on
            record = _failed_trial(tool, settings, episode, trial, failure.reason)
            del messages[trial_start:]  # the next trial goes on from the last finished one
        except ModelError as error:
            if "context window" not in str(error):
                raise
            record = _failed_trial(tool, settings, episode, trial, str(error))
            messages, last = [system], None  # the conversation is full: go on in a fresh one
        if not record.query and not record.error:
            # no request came (the model echoed the prompt, say): the next trial starts
            # from before this one, or a small model goes on echoing it trial after trial
            del messages[trial_start:]
        if record.query and not record.error:
            last = record
        record.start_state = start_state
        gained = memory.add(record) or gained
        result = on_trial(record)
        if result is not None:
            await result
    return gained


def _failed_trial(
    tool: Tool, settings: ExploreSettings, episode: int, trial: int, error: str
) -> Trial:
    return Trial(
        id=trial_id(tool.name, episode, trial),
        tool=tool.name,
        episode=episode,
        trial=trial,
        seed=trial_seed(settings.seed, tool.name, episode, trial),
        stop_reason="error",
        error=error,
        solved=False if settings.reflection else None,
    )
