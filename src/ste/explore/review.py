"""The review: a trial's work checked by distillation's rule checks before it ends.

A trial that answered after a successful call but fails a check a corrected call or answer
could pass (an option the request never asked for, 15 years passed as 15 months, a number
found in no result) is told what the check found and gets a few more turns: practice then
ends with the call the request needed, which the trial's record keeps as its answered
attempt (`Trial.reviewed_at`), the reviewed calls staying in its steps. Where a check
works out the value that passes (`Check.fix`: 360 for 30 years), the call is shown with it:
told only "20 year is 240 months", a 1.5B explorer kept the month count in all 5 such
loan trials of one dev exploration (dev-exp14: it answered again, or called again with
it). A trial that gave up after its call was refused, or ran out of turns so (no call
succeeded; by the tool, or by the schema for a value of the wrong type) is shown the message
again and asked to call with a value it accepts (with its call's arguments as the tool's one
suggestion would have them, where it makes one, or with each of the values it offers:
`ste.explore.suggestion`; or with the numbers and booleans it wrote in quotes written as
such: `ste.tools.execute.retyped_arguments`).
What no correction can change (the request itself, a value the request names that the tool
refused, a parameter the tool does not have) is not reviewed.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ste.agent.loop import AgentProtocol, TurnSettings, run_turns
from ste.agent.trajectory import Step
from ste.checks.rules import rule_checks
from ste.checks.verdict import Check, fixes
from ste.explore.suggestion import offered_arguments, suggested_arguments
from ste.models.base import ChatModel, Message, Usage
from ste.prompts import render
from ste.records import Trial
from ste.tools.execute import retyped_arguments
from ste.tools.tool import Tool

# the checks a new call or a new answer to the same request can pass
REVIEWED = (
    "faithful",
    "grounded",
    "scaled_as_described",
    "units_as_asked",
    "numbers_to_their_parameters",
    "unit_codes_as_asked",
    "expression_numbers_used",
    "units_answered",
    "bounds_as_asked",
    "enums_as_asked",
    "options_asked",
    "every_choice_asked",
    "every_value_passed",
    "dates_passed",
    "computes_something",
    "grouping_kept",
    "times_as_asked",
    "names_from_results",
    "list_answered",
    "all_returned",
    "both_answered",
    "fields_answered",
    "ends_differ",
    "dates_from_results",
    "times_from_results",
    "flags_as_results",
    "picked_from_request",
    "answers_broadly",
)
REVIEW_TURNS = 2  # a corrected call and its answer


def failed(trial: Trial, tool: Tool) -> list[Check]:
    """The reviewed checks a finished trial with a successful call fails (none for one
    without: there is no work to correct)."""
    if not trial.final_answer or not any(s.tool_ok for s in trial.call_steps):
        return []
    checks = rule_checks(trial, tool, require_reflection=False)
    return [c for c in checks if not c.ok and c.name in REVIEWED]


def findings(trial: Trial, tool: Tool) -> list[str]:
    """What the reviewed checks found wrong with a finished trial (`failed`)."""
    return [c.reason for c in failed(trial, tool)]


def fixed_call(trial: Trial, checks: list[Check]) -> dict[str, Any] | None:
    """The last successful call's arguments with the values the failed checks work out
    (`Check.fix`: 30 years as `term_months=360`), or None where no check offers one."""
    values = fixes(checks)
    calls = [s.call for s in trial.call_steps if s.tool_ok and s.call is not None]
    if not values or not calls:
        return None
    return {**calls[-1].arguments, **values}


def refusal(trial: Trial, tool: Tool) -> str | None:
    """The message refusing the last call of a trial in which no call succeeded, answered or
    out of turns (a model often answers "I cannot" right after an error that says what the
    tool accepts:
    the tool's own words, or the schema's on a value of the wrong type, '5' for 5); None
    otherwise. A call passing a parameter the tool does not have asks for something the
    tool does not do: no retry makes it right."""
    calls = trial.call_steps
    ended = trial.final_answer or trial.stop_reason == "max_turns"  # gave up, or ran out
    if not ended or not calls or any(s.tool_ok for s in calls):
        return None
    last = calls[-1]
    if last.error_kind not in ("tool_error", "invalid_arguments") or not last.observation:
        return None
    known = tool.parameters.get("properties", {})
    if last.call is not None and set(last.call.arguments) - set(known):
        return None
    return " ".join(last.observation.split())[:400]


def _offered(trial: Trial) -> list[dict[str, Any]]:
    """The calls a refusal of the trial offers values for, the latest refusal first
    (`offered_arguments`): the last call may have passed the form the refusal described
    ("City, GB" for 'City, CC') rather than one of them."""
    for step in reversed(trial.call_steps):
        if step.call is None or not step.observation or step.tool_ok:
            continue
        if offered := offered_arguments(step.call.arguments, step.observation):
            return offered
    return []


def shown(found: list[str]) -> str:
    """The findings as the review prompt lists them."""
    return "\n".join(f"- {reason}" for reason in found)


@dataclass
class Reviewed:
    """What the review added to a trial: its findings, the new steps, the final answer."""

    findings: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    final_answer: str | None = None
    stop_reason: str = ""
    usage: Usage = field(default_factory=Usage)
    # whether the new steps replace the reviewed attempt (a call the checks found wrong), or
    # go on from it (after a refusal, the failed calls are part of the way to the answer)
    supersedes: bool = True


async def review(
    model: ChatModel,
    protocol: AgentProtocol,
    tool: Tool,
    messages: list[Message],
    trial: Trial,
    turns: TurnSettings,
    is_new_error: Callable[[str], bool] | None = None,
) -> Reviewed | None:
    """Review a finished trial (`findings`); with something found, tell the model and let it
    call again or answer again, in `REVIEW_TURNS` more turns of `messages`. None: nothing
    found. A reply that makes no new call keeps the trial's calls; a new call with no answer
    after it leaves the trial unanswered (its old answer was about the old call)."""
    checks, supersedes = failed(trial, tool), True
    found = [c.reason for c in checks]
    if found:
        prompt = render("explore_review", findings=shown(found))
        if fixed := fixed_call(trial, checks):
            arguments = json.dumps(fixed, ensure_ascii=False)
            prompt += "\n" + render("check_fixed_call", arguments=arguments)
    elif refused := refusal(trial, tool):
        found, supersedes = [f"no call succeeded; the tool said: {refused}"], False
        prompt = render("explore_review_refused", message=refused)
        last = trial.call_steps[-1].call
        suggested = last and (
            suggested_arguments(last.arguments, refused)
            or retyped_arguments(tool.parameters, last.arguments)
        )
        if suggested:
            shown_arguments = json.dumps(suggested, ensure_ascii=False)
            prompt += "\n" + render("explore_review_suggested", arguments=shown_arguments)
        elif offered := _offered(trial):
            calls = "\n".join(f"- {json.dumps(a, ensure_ascii=False)}" for a in offered)
            prompt += "\n" + render("explore_review_offered", calls=calls)
    else:
        return None
    messages.append({"role": "user", "content": prompt})
    settings = replace(turns, max_turns=REVIEW_TURNS, extra_turns=0, require_call=False)
    again = await run_turns(
        model, protocol, [tool], messages, trial.query, settings, is_new_error=is_new_error
    )
    answer, stop = again.final_answer, again.stop_reason
    if answer is None and not again.calls:
        answer, stop = trial.final_answer, trial.stop_reason
    return Reviewed(found, again.steps, answer, stop, again.usage, supersedes)
