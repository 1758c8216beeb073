"""Rule checks on a finished trial: each gives a verdict and the reason for it."""

from __future__ import annotations

from dataclasses import dataclass

from ste.records import Trial
from ste.tools.execute import validation_errors
from ste.tools.tool import Tool


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
