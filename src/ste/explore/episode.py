"""One episode of exploration: a conversation of trials (imagine, try, reflect) on one tool.

The conversation is the short-term memory: later trials see every earlier trial of the
episode and are asked to go further. The long-term memory (every earlier query of the tool
and whether it was fulfilled) goes into the first imagination prompt of each conversation.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from ste.agent.loop import AgentProtocol, TurnSettings, run_turns
from ste.agent.trajectory import Step
from ste.errors import ModelError
from ste.explore.backward import request_from_call
from ste.explore.conversation import user_message
from ste.explore.coverage import error_kind
from ste.explore.imagine import imagine
from ste.explore.memory import ToolMemory
from ste.explore.needs import needs_list
from ste.explore.reflection import reflect
from ste.explore.restate import missing_values, restate
from ste.explore.review import review
from ste.explore.rundir import trial_id
from ste.explore.settings import ExploreSettings, trial_seed
from ste.models.base import ChatModel, Generation, Message, Usage
from ste.models.retry import RequestFailed
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool


def system_message(protocol: AgentProtocol, tool: Tool, today: str | None = None) -> Message:
    instructions = protocol.system_message([tool])["content"]
    content = render("explore_system", agent_instructions=instructions)
    if today:
        content += "\n" + render("explore_today", today=today)
    return {"role": "system", "content": content}


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
    repair = episode >= settings.episodes
    if first_in_conversation:
        needs = needs_list(tool)
        needs = render("explore_imagine_needs", needs=needs).rstrip() + "\n" if needs else ""
        prompt = render("explore_imagine_first", tool_name=tool.name, needs=needs)
        if settings.ltm:
            remembered = memory.prompt(repair=repair)
    else:
        prompt = render("explore_imagine_simpler" if after_failure else "explore_imagine_next")
        if not after_failure and settings.ltm and (values := memory.values_prompt()):
            prompt = f"{prompt}\n\n{values}"  # asked to go further, it keeps the same values
    earlier = [query for query, _ in memory.entries if query] if settings.ltm else []
    fulfilled = {query for query, ok in memory.entries if query and ok} if settings.ltm else set()
    refusals = memory.coverage.error_examples if settings.ltm else []
    # asked for a simpler request or a call that works, it may keep its values
    worn = memory.worn() if settings.ltm and not (after_failure or repair) else {}
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
        worn=worn,
    )
    from_call = None
    if not query and settings.request_from_call:
        query, from_call, replies = await request_from_call(
            model, protocol, tool, settings, names, usage, earlier
        )
        imagined = [*imagined, *replies]
        if query:  # the request as if imagined: the conversation goes on from it
            reply = {"role": "assistant", "content": query}
            if messages[-1]["role"] == "assistant":
                messages[-1] = reply
            else:
                messages.append(reply)
    steps: list[Step] = []
    found: list[str] = []  # what the review found (`ste.explore.review`)
    reviewed, review_start, review_end = None, 0, 0
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
            if restated is not None:
                restated_from, query = finished.query, restated.query
                steps, final_answer = restated.steps, restated.final_answer
            else:
                review_start = len(messages)
                reviewed = await review(
                    model, protocol, tool, messages, finished, turns, is_new_error=is_new_error
                )
                review_end = len(messages)
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
        if reviewed is not None:
            # the review stays in the trial's steps, not in the conversation later trials
            # go on from: its findings, echoed in the model's thoughts, came back as parts of
            # the next requests ("..., but it's asking for an option it does not name")
            del messages[review_start:review_end]
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
        request_from_call=from_call if query else None,
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
