"""The calls of a trial that the checks read: those that succeeded, and their results."""

from __future__ import annotations

import json
from typing import Any

from ste.records import Step, Trial

__all__ = ["record_results", "successful_calls"]


def successful_calls(trial: Trial) -> list[Step]:
    return [s for s in trial.call_steps if s.call is not None and s.tool_ok is True]


def record_results(trial: Trial) -> list[tuple[Step, dict[str, Any]]]:
    """The successful calls whose result is a JSON object, each with that object."""
    found = []
    for step in successful_calls(trial):
        try:
            value = json.loads(step.observation or "")
        except (json.JSONDecodeError, ValueError, RecursionError):
            continue
        if isinstance(value, dict):
            found.append((step, value))
    return found
