"""Invented arguments taken out of the example, where the example stays right without them.

A small explorer adds options nobody asked for (`top_n=1` to a word count, `limit=3` to a
search that finds two recipes, `precision=2` to a unit conversion). Shown as a
demonstration, such a call teaches a caller to invent options; rejected (the `grounded`
and `options_asked` checks), it loses an example whose call was otherwise right. An
optional argument that neither the request nor an earlier result gives
(`ste.checks.arguments.invented_arguments`), or a choice or flag the request does not name
(`ste.checks.options.unasked_choices`), is dropped from a successful call when the real
tool, run again without it, gives the same result: the example then shows the call the
request asks for, with the same result, hence the same final answer. From the last
successful call it is also dropped when the result differs only in how its numbers are
rounded and the final answer still follows from the new one (`ste.outcome`: 11.3398 kg,
answered as "11.34 kg", rounded by the model rather than by `precision=2`); the example
then holds the new result. Otherwise the
argument stays, and the check rejects the trial. Only invented values go: one the request
gives in other words ("under an hour" as max_minutes=60) stays even where the data make it
change nothing, since the request asks for it.
"""

from __future__ import annotations

import json
from typing import Any

from ste.checks.arguments import invented_arguments
from ste.checks.calls import successful_calls
from ste.checks.options import unasked_choices
from ste.distill.reproduction import same_result
from ste.records import Trial
from ste.tools.execute import execute
from ste.tools.tool import Tool

__all__ = ["prune"]


async def prune(trial: Trial, tool: Tool, timeout: float = 30.0) -> tuple[Trial, list[str]]:
    """The trial with the invented optional arguments taken out of its successful calls
    (see above), and those arguments ("top_n=1", "precision=2 (result read again)"). A
    stateful tool is left as it is: running a call again there changes what later calls
    see."""
    if tool.stateful:
        return trial, []
    required = set(tool.parameters.get("required", []))
    invented = [
        (s, n, shown) for s, n, shown in invented_arguments(trial, tool) if n not in required
    ]
    invented += unasked_choices(trial, tool)
    calls = successful_calls(trial)
    last = calls[-1] if calls else None
    steps = list(trial.steps)
    dropped: list[str] = []
    for index, step in enumerate(steps):
        if step.call is None or step.observation is None:
            continue
        arguments, observation = step.call.arguments, step.observation
        kept = dict(arguments)
        for name, shown in [(n, shown) for s, n, shown in invented if s is step]:
            without = {k: v for k, v in kept.items() if k != name}
            again = await execute(tool, without, timeout=timeout)
            if not again.ok:
                continue
            if same_result(observation, again.observation):
                kept = without
                dropped.append(shown)
            elif (
                step is last
                and only_rounded(observation, again.observation)
                and _answer_follows(trial, index, without, again.observation)
            ):
                kept, observation = without, again.observation
                dropped.append(f"{shown} (result read again)")
        if kept != arguments:
            call = step.call.model_copy(update={"arguments": kept})
            steps[index] = step.model_copy(update={"call": call, "observation": observation})
    if not dropped:
        return trial, []
    return trial.model_copy(update={"steps": steps}), dropped


def only_rounded(before: str, after: str) -> bool:
    """Whether two JSON results differ only in rounding: each number of `before` is the
    one of `after` rounded (11.34 for 11.3398), everything else the same."""
    try:
        old, new = json.loads(before), json.loads(after)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return False
    return _rounded(old, new)


def _rounded(old: Any, new: Any) -> bool:
    if isinstance(old, bool) or isinstance(new, bool):
        return old is new
    if isinstance(old, int | float) and isinstance(new, int | float):
        return old == new or any(round(new, digits) == old for digits in range(7))
    if isinstance(old, dict) and isinstance(new, dict):
        return old.keys() == new.keys() and all(_rounded(old[k], new[k]) for k in old)
    if isinstance(old, list) and isinstance(new, list):
        return len(old) == len(new) and all(_rounded(a, b) for a, b in zip(old, new, strict=True))
    return bool(old == new)


def _answer_follows(trial: Trial, index: int, arguments: dict[str, Any], observation: str) -> bool:
    """Whether the trial's final answer follows from `observation` as the result of its
    step `index` called with `arguments` (`ste.outcome`)."""
    steps = list(trial.steps)
    step = steps[index]
    call = step.call.model_copy(update={"arguments": arguments})  # type: ignore[union-attr]
    steps[index] = step.model_copy(update={"call": call, "observation": observation})
    return trial.model_copy(update={"steps": steps}).outcome.solved
