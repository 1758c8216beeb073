"""The repairs distillation tries on a trial the rule checks reject, before it is judged:
its request asked for again with the values its call chose (`ste.distill.request_again`),
then its answer written again from its results (`ste.distill.answer_again`). Each is
recorded (`requests.jsonl`, `answers.jsonl`) so that a continued run asks nothing twice,
and each replaces the trial only if every check then passes; the calls stay the trial's."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ste.checks.verdict import Check
from ste.distill.answer_again import ANSWERS, answer_only, answered, recorded_answer
from ste.distill.request_again import REQUESTS, recorded_request, request_fault, requested
from ste.jsonl import read_jsonl
from ste.models.base import ChatModel
from ste.records import Trial
from ste.tools.tool import Tool


def _outcome(first: Any, again: Trial | None, checks: list[Check]) -> dict[str, Any]:
    failed = [c for c in checks if not c.ok]
    reason = failed[0].reason if failed else "every check passes"
    return {"first": first, "kept": again is not None, "reason": reason}


@dataclass
class Repairer:
    """Asks `requester` for requests and `answerer` for answers (None: that repair is off)."""

    out: Path
    seed: int
    require_reflection: bool
    requester: ChatModel | None = None
    answerer: ChatModel | None = None
    requests: dict[str, dict[str, Any]] = field(init=False)  # read back from `out`
    answers: dict[str, dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.requests = {r["trial"]: r for r in read_jsonl(self.out / REQUESTS)}
        self.answers = {r["trial"]: r for r in read_jsonl(self.out / ANSWERS)}

    async def repair(
        self, trial: Trial, checks: list[Check], tool: Tool
    ) -> tuple[Trial, list[Check], dict[str, Any]]:
        """(the trial, its checks, what was tried: {"requested_again"/"answered_again":
        {"first", "kept", "reason"}}), the trial repaired where a repair passed."""
        tried: dict[str, Any] = {}
        fault = request_fault(trial, checks, tool) if self.requester is not None else ""
        if self.requester is not None and fault:
            record = self.requests.get(trial.id) or await recorded_request(
                self.requester, trial, fault, tool, self.seed, self.out
            )
            if record is not None:
                again, checks_again = requested(trial, record, tool)
                tried["requested_again"] = _outcome(trial.query, again, checks_again)
                if again is not None:
                    trial, checks = again, checks_again
        if self.answerer is not None and answer_only(checks):
            record = self.answers.get(trial.id) or await recorded_answer(
                self.answerer, trial, self.seed, self.out
            )
            if record is not None:
                again, checks_again = answered(trial, record["text"], tool, self.require_reflection)
                tried["answered_again"] = _outcome(trial.final_answer, again, checks_again)
                if again is not None:
                    trial, checks = again, checks_again
        return trial, checks, tried
