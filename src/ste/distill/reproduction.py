"""Checks of a trial that run its tool again: its successful calls reproduce their results.

The rule checks that need no tool run are `ste.checks.rules`.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.execute import execute
from ste.tools.stateful import fresh_instance, replay, succeeded_calls
from ste.tools.tool import Tool

__all__ = ["earlier_calls", "reproduced", "same_result"]

VARIES_AFTER_S = 1.1  # past a clock's second: a live tool answers differently


def same_result(before: str, after: str) -> bool:
    if before == after:
        return True
    try:
        return json.loads(before) == json.loads(after)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return False


async def reproduced(
    trial: Trial, tool: Tool, timeout: float = 30.0, before: list[dict[str, Any]] | None = None
) -> Check:
    """The trial's successful calls, run again on the real tool, give the same results. A
    stateful tool runs them on a fresh instance from the episode's start state, after the
    episode's earlier successful calls (`before`) are replayed on it."""
    async with fresh_instance([tool], trial.start_state):
        if tool.stateful and before:
            await replay(tool, before, timeout)
        for step in trial.all_call_steps:
            if step.tool_ok is not True or step.call is None or step.observation is None:
                continue
            again = await execute(tool, step.call.arguments, timeout=timeout)
            if not again.ok:
                said = again.observation[:120]
                return Check("reproduced", False, f"run again, the call fails: {said}")
            if not same_result(step.observation, again.observation):
                if not tool.stateful and await _varies(tool, step.call.arguments, again, timeout):
                    continue  # a clock, a live feed: held to succeeding, not to an old result
                return Check("reproduced", False, "run again, the call gives another result")
    return Check("reproduced", True, "its calls give the same results when run again")


async def _varies(tool: Tool, arguments: dict[str, Any], again: Any, timeout: float) -> bool:
    """Whether the tool answers the same call differently a moment later (it reads a clock
    or a live source): then an old result cannot be reproduced, and is not asked to be."""
    await asyncio.sleep(VARIES_AFTER_S)
    third = await execute(tool, arguments, timeout=timeout)
    return third.ok and not same_result(again.observation, third.observation)


def earlier_calls(trials: list[Trial], trial: Trial) -> list[dict[str, Any]]:
    """The successful calls of the trials before `trial` in its episode, in order."""
    same_episode = sorted(
        (t for t in trials if t.tool == trial.tool and t.episode == trial.episode),
        key=lambda t: t.trial,
    )
    return [c for t in same_episode if t.trial < trial.trial for c in succeeded_calls(t.steps)]
