"""A trajectory: everything that happened while the agent worked on one query."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from ste.models.base import Usage

# answer_at_limit: the final answer given when asked for it after the last turn, a call
# having succeeded (exploration: `TurnSettings.answer_at_limit`)
StopReason = Literal["final_answer", "max_turns", "first_call", "answer_at_limit"]


class CallRecord(BaseModel):
    name: str
    arguments: dict[str, Any]


class Step(BaseModel):
    """One model reply (or one of its calls) and what came back."""

    raw: str = Field(description="the model's reply as generated")
    thought: str = ""
    call: CallRecord | None = None
    observation: str | None = None
    tool_ok: bool | None = None
    error_kind: str | None = None
    parse_error: str | None = None
    final_answer: str | None = None


class Trajectory(BaseModel):
    query: str
    model: str
    protocol: str
    steps: list[Step] = Field(default_factory=list)
    final_answer: str | None = None
    stop_reason: StopReason = "max_turns"
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    messages: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def calls(self) -> list[Step]:
        return [s for s in self.steps if s.call is not None]

    @property
    def first_call(self) -> CallRecord | None:
        calls = self.calls
        return calls[0].call if calls else None
