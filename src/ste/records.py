"""The records the stages hand each other, written to and read from their JSONL files.

What is in `trials.jsonl`? One `Trial` per line, as `Trial.dump()` writes it; `Trial.read`
validates a line back (an old or foreign line is an error naming what is wrong, never a
KeyError later). A trial's steps are the agent's `Step`s, its tokens a `Usage`. An eval
results folder's `items.jsonl` holds `EvalRecord`s the same way.
"""

from __future__ import annotations

import json
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ste.agent.trajectory import Step
from ste.errors import SteError
from ste.jsonl import numbered_records
from ste.models.base import Usage
from ste.outcome import Outcome, judge_outcome

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
    start_state: Any = None  # a stateful toolbox's start state for the episode (None: none)
    # what the review found before the trial ended (`ste.explore.review`), and the index of
    # the first step after it when its steps replace those before (None: not reviewed, or
    # a review after a refusal, whose steps go on from the failed calls)
    review: list[str] = Field(default_factory=list)
    reviewed_at: int | None = None
    # the request as first imagined, when it left out values the call needed and was
    # written again with them (`ste.explore.restate`); `query` is the restated one
    restated_from: str | None = None
    # the call (name, arguments) the request was written from, where the model imagined no
    # request it could try (`ste.explore.backward.request_from_call`)
    request_from_call: dict[str, Any] | None = None
    # the answer as practised, where distillation had it written again from the results
    # (`ste.distill.answer_again`); `final_answer` is the new one
    answered_again_from: str | None = None

    @property
    def answer_steps(self) -> list[Step]:
        """The steps the final answer rests on: after a review that led to a new call, those
        from the review on (the reviewed attempt is superseded); otherwise all of them."""
        if self.reviewed_at is not None:
            after = self.steps[self.reviewed_at :]
            if any(step.call is not None for step in after):
                return after
        return self.steps

    @property
    def call_steps(self) -> list[Step]:
        """The calls of the answered attempt (`answer_steps`): what the checks judge."""
        return [step for step in self.answer_steps if step.call is not None]

    @property
    def all_call_steps(self) -> list[Step]:
        """Every call of the trial, a reviewed attempt's too: what practice exercised."""
        return [step for step in self.steps if step.call is not None]

    @property
    def outcome(self) -> Outcome:
        """Whether the trial really fulfilled its request (see `ste.outcome`), which the
        model's own reflection (`solved`) is compared with, never used instead of."""
        calls = self.call_steps
        return judge_outcome(
            self.query,
            self.final_answer,
            [s.observation or "" for s in calls if s.tool_ok],
            # a failed call's arguments support nothing: the answer states what a call did
            [json.dumps(s.call.arguments) for s in calls if s.call is not None and s.tool_ok],
            succeeded=any(s.tool_ok for s in calls),
        )

    def dump(self) -> dict[str, Any]:
        """The JSON object of its line (optional fields only when set)."""
        record = self.model_dump(mode="json")
        optional_fields = ("error", "finished_at", "review", "reviewed_at", "restated_from")
        for optional in (*optional_fields, "answered_again_from", "request_from_call"):
            if record.get(optional) in (None, []):
                record.pop(optional, None)
        return record

    @classmethod
    def read(cls, record: dict[str, Any], where: str = "trial") -> Trial:
        return _validated(cls, record, where, "a trial record")


R = TypeVar("R", bound=BaseModel)


def _validated(kind: type[R], record: dict[str, Any], where: str, what: str) -> R:
    """The record validated, or one SteError naming where it is and what is wrong."""
    try:
        return kind.model_validate(record)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'record'}: {e['msg']}"
            for e in error.errors()[:3]
        )
        raise SteError(f"{where}: not {what} ({problems})") from None


class EvalRecord(BaseModel):
    """One scored test item of `ste eval`: a line of `items.jsonl`.

    Fields that do not apply (no call: no reasons; no --demos; no --full) are left out of
    the line, as they always were.
    """

    model_config = ConfigDict(extra="allow")

    id: str
    tool: str  # the expected tool
    query: str
    expected: list[dict[str, Any]]
    raw: str = ""  # the model's first reply
    call: dict[str, Any] | None = None  # the first call: {"name", "arguments"}
    well_formed: bool = False
    reason: str = ""
    api_match: bool = False
    correct: bool = False
    correct_reason: str | None = None
    lenient_correct: bool = False
    exec_equivalent: bool = False
    exec_reason: str | None = None
    demonstrations: list[str] | None = None  # example ids shown (with --demos)
    notes_of: str | None = None  # the tool whose notes were shown (--notes-for routed, chosen)
    call_before_notes: dict[str, Any] | None = None  # --notes-for chosen: the call without them
    call_before_check: dict[str, Any] | None = None  # --check-call: the call checked
    final_answer: str | None = None  # with --full
    answer_correct: bool | None = None  # with --full and an expected answer
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_unset=True)

    @classmethod
    def read(cls, record: dict[str, Any], where: str = "item") -> EvalRecord:
        return _validated(cls, record, where, "an eval item")


class Judgment(BaseModel):
    """The distillation judge's verdict on one trial: a line of `judgments.jsonl`."""

    trial: str = ""  # the trial's id ("" until it is recorded)
    ok: bool
    criteria: dict[str, dict[str, Any]] = Field(default_factory=dict)  # name -> {ok, reason}
    reason: str = ""
    replies: list[str] = Field(default_factory=list)  # the judge's raw replies
    answered_again: bool = False  # of the answer distillation had written again
    query: str | None = None  # the request judged (None: a judgment before it was recorded)

    @classmethod
    def read(cls, record: dict[str, Any], where: str = "judgment") -> Judgment:
        return _validated(cls, record, where, "a judgment")


class LedgerEntry(BaseModel):
    """One model request attempt in a `usage.jsonl` ledger (as `MeteredModel` writes it):
    a failed attempt has calls 0 and its outcome; what the stage was doing (tool, trial,
    stage) rides along as extra fields."""

    model_config = ConfigDict(extra="allow")

    tool: str | None = None
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    evaluated_prompt_tokens: int = 0
    cached: bool = False
    outcome: str = "ok"
    status: int | None = None
    seconds: float = 0.0
    time: float | None = None


def read_ledger(path: Any) -> list[dict[str, Any]]:
    """A ledger's entries, each validated (a line with the wrong types is an SteError naming
    file and line), as plain data for the summaries and pages."""
    return [
        _validated(LedgerEntry, record, where, "a ledger entry").model_dump()
        for where, record in numbered_records(path)
    ]
