"""The records the stages hand each other, written to and read from their JSONL files.

What is in `trials.jsonl`? One `Trial` per line, as `Trial.dump()` writes it; `Trial.read`
validates a line back (an old or foreign line is an error naming what is wrong, never a
KeyError later). A trial's steps are the agent's `Step`s, its tokens a `Usage`.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ste.agent.trajectory import Step
from ste.errors import SteError
from ste.models.base import Usage

Message = dict[str, Any]


class Trial(BaseModel):
    """One trial of exploration: imagine a request, try it with the real tool, reflect."""

    model_config = ConfigDict(extra="allow")  # fields of later versions are kept, not lost

    id: str  # "tool/eN/tM"
    tool: str
    episode: int  # from 0
    trial: int  # from 0, within the episode
    seed: int
    query: str = ""  # "" when the model wrote no request
    imagination: list[str] = Field(default_factory=list)  # the raw replies asked for it
    steps: list[Step] = Field(default_factory=list)
    final_answer: str | None = None
    stop_reason: str = "no query"
    error: str | None = None  # why the trial could not run (a full context window, ...)
    calls: int = 0
    tool_errors: int = 0
    format_errors: int = 0
    call_succeeded: bool = False
    solved: bool | None = None  # the model's own reflection; None: no reflection
    reflection: str = ""
    reflection_reason: str = ""
    messages: list[Message] = Field(default_factory=list)  # this trial's turns of the episode
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0
    finished_at: float | None = None

    @property
    def call_steps(self) -> list[Step]:
        return [step for step in self.steps if step.call is not None]

    def dump(self) -> dict[str, Any]:
        """The JSON object of its line (optional fields only when set)."""
        record = self.model_dump(mode="json")
        for optional in ("error", "finished_at"):
            if record.get(optional) is None:
                record.pop(optional, None)
        return record

    @classmethod
    def read(cls, record: dict[str, Any], where: str = "trial") -> Trial:
        try:
            return cls.model_validate(record)
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
                for e in error.errors()[:3]
            )
            raise SteError(f"{where}: not a trial record ({problems})") from None
