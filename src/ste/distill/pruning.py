"""Invented arguments that changed nothing, taken out of the example.

A small explorer adds options nobody asked for (`top_n=1` to a word count, `limit=3` to a
search that finds two recipes). Shown as a demonstration, such a call teaches a caller to
invent options; rejected (the `grounded` check), it loses an example whose call was
otherwise right. An optional argument that neither the request nor an earlier result gives
(`ste.checks.arguments.invented_arguments`) is dropped from a successful call when the real
tool, run again without it, gives the same result: the example then shows the call the
request asks for, with the same result, hence the same final answer. An argument that
changes the result stays, and the check rejects the trial. Only invented values go: one
the request gives in other words ("under an hour" as max_minutes=60) stays even where the
data make it change nothing, since the request asks for it.
"""

from __future__ import annotations

from typing import Any

from ste.checks.arguments import invented_arguments
from ste.distill.reproduction import same_result
from ste.records import Trial
from ste.tools.execute import execute
from ste.tools.tool import Tool

__all__ = ["prune"]


async def prune(trial: Trial, tool: Tool, timeout: float = 30.0) -> tuple[Trial, list[str]]:
    """The trial with the invented optional arguments that changed nothing removed from its
    successful calls, and those arguments ("top_n=1"). A stateful tool is left as it is:
    running a call again there changes what later calls see."""
    if tool.stateful:
        return trial, []
    required = set(tool.parameters.get("required", []))
    invented = [
        (s, n, shown) for s, n, shown in invented_arguments(trial, tool) if n not in required
    ]
    steps = list(trial.steps)
    dropped: list[str] = []
    for index, step in enumerate(steps):
        if step.call is None or step.observation is None:
            continue
        arguments = step.call.arguments
        kept = dict(arguments)
        for name, shown in [(n, shown) for s, n, shown in invented if s is step]:
            without = {k: v for k, v in kept.items() if k != name}
            if await _same_without(tool, without, step.observation, timeout):
                kept = without
                dropped.append(shown)
        if kept != arguments:
            call = step.call.model_copy(update={"arguments": kept})
            steps[index] = step.model_copy(update={"call": call})
    if not dropped:
        return trial, []
    return trial.model_copy(update={"steps": steps}), dropped


async def _same_without(tool: Tool, arguments: dict[str, Any], before: str, timeout: float) -> bool:
    again = await execute(tool, arguments, timeout=timeout)
    return again.ok and same_result(before, again.observation)
