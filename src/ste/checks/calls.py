"""The calls of a trial that the checks read: those that succeeded, their results, and
whether a result confirms what the request names."""

from __future__ import annotations

import json
import re
from typing import Any

from ste.outcome import held
from ste.records import Step, Trial

__all__ = ["confirmed", "record_results", "successful_calls"]


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


# a name quoted in a request, in single or double quotes (not an apostrophe's)
_NAMED = re.compile(r"(?<!\w)'([^'\n]{4,60})'(?!\w)|\"([^\"\n]{4,60})\"")


def confirmed(step: Step, query: str) -> bool:
    """Whether the call's own result names what the request quotes by name ('Not Found' for
    a code=404 the request never gave): a lookup by the code a name stands for, which the
    tool's answer confirms (the labelled bundled trials had two so, both right)."""
    named = [a or b for a, b in _NAMED.findall(query)]
    return any(held(q, [step.observation or ""]) for q in named if not re.search(r"\d", q))
