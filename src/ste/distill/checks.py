"""Rule checks on a finished trial: each gives a verdict and the reason for it.

Beside the trial's own shape (a final answer, a call that ran, valid arguments, the
reflection's Yes), a kept example must be right: its answer consistent with the tool's
results (`ste.outcome`: no number the results do not hold), its query a request in natural
language (not an argument object the model wrote instead), and its successful calls
reproducible (`reproduced`: run again, they give the same result).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from ste.records import Trial
from ste.tools.execute import execute, validation_errors
from ste.tools.tool import Tool

_WORD = re.compile(r"[^\W\d_]{2,}")


@dataclass
class Check:
    name: str
    ok: bool
    reason: str


def rule_checks(trial: Trial, tool: Tool, require_reflection: bool) -> list[Check]:
    calls = trial.call_steps
    # tool_ok is None for calls of a --no-exec run: recorded, never run, so they cannot fail
    succeeded = [s for s in calls if s.tool_ok is not False]
    checks = [
        Check(
            "finished",
            trial.final_answer is not None and bool(trial.final_answer.strip()),
            "gave a final answer"
            if trial.final_answer
            else f"no final answer (stopped: {trial.stop_reason})",
        ),
        Check(
            "call_succeeded",
            bool(succeeded),
            f"{len(succeeded)} of {len(calls)} call(s) ran without error"
            if calls
            else "no tool call",
        ),
    ]
    invalid = [
        f"{s.call.name}: {'; '.join(errors)}"
        for s in succeeded
        if s.call is not None and (errors := validation_errors(tool, s.call.arguments))
    ]
    checks.append(
        Check(
            "arguments_valid",
            bool(succeeded) and not invalid,
            "; ".join(invalid) if invalid else "arguments match the schema",
        )
    )
    outcome = trial.outcome
    checks.append(Check("faithful", outcome.solved, outcome.reason))
    checks.append(natural_query(trial.query))
    if require_reflection:
        solved = trial.solved
        checks.append(
            Check(
                "reflection",
                solved is True,
                {
                    True: "the model said it fulfilled the query",
                    False: "the model said it did not",
                    None: "no reflection verdict",
                }[solved],
            )
        )
    return checks


def natural_query(query: str) -> Check:
    """The query reads as a request a person would write, not JSON or a bare value."""
    text = query.strip()
    if text[:1] in "{[":
        try:
            json.loads(text)
        except (json.JSONDecodeError, ValueError, RecursionError):
            pass
        else:
            return Check("natural_query", False, "the query is JSON, not a request in words")
    words = _WORD.findall(text)
    if len(words) < 3:
        return Check("natural_query", False, f"the query has {len(words)} word(s): {text[:60]!r}")
    return Check("natural_query", True, "a request in natural language")


def same_result(before: str, after: str) -> bool:
    if before == after:
        return True
    try:
        return json.loads(before) == json.loads(after)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return False


async def reproduced(trial: Trial, tool: Tool, timeout: float = 30.0) -> Check:
    """The trial's successful calls, run again on the real tool, give the same results."""
    for step in trial.call_steps:
        if step.tool_ok is not True or step.call is None or step.observation is None:
            continue
        again = await execute(tool, step.call.arguments, timeout=timeout)
        if not again.ok:
            return Check(
                "reproduced", False, f"run again, the call fails: {again.observation[:120]}"
            )
        if not same_result(step.observation, again.observation):
            return Check("reproduced", False, "run again, the call gives another result")
    return Check("reproduced", True, "its calls give the same results when run again")
