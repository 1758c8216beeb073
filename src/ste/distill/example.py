"""The one example type every export is made from: a query and the trajectory that solved it."""

from __future__ import annotations

import hashlib
from typing import Any

from pydantic import BaseModel, Field

from ste.checks.arguments import unasked_options
from ste.records import Trial


class Turn(BaseModel):
    """One tool call the model made, and what the tool answered."""

    name: str
    arguments: dict[str, Any]
    observation: str
    ok: bool


class Example(BaseModel):
    id: str
    tool: str
    query: str
    turns: list[Turn]
    final_answer: str
    source_trial: str
    paraphrase_of: str | None = None  # the id of the example whose query this rephrases
    # the request as practised, where `query` rewords it in the user's words
    # (`ste.distill.reword`: "France" for "the country with the code FRA")
    practised_query: str | None = None
    recovered: bool = Field(
        default=False, description="a call failed and a later one succeeded (error recovery)"
    )
    tools: list[dict[str, Any]] = Field(description="the tools offered, OpenAI layout")

    def unasked_options(self, request: str) -> list[str]:
        """The optional arguments its successful calls pass, other than their defaults, that
        `request` does not name (a `precision` of 2 for a request that asks for no rounding):
        shown as a demonstration for that request, a small model copies them."""
        schemas = {
            spec.get("function", {}).get("name"): spec.get("function", {}).get("parameters") or {}
            for spec in self.tools
        }
        unasked: list[str] = []
        for turn in self.turns:
            if turn.ok:
                schema = schemas.get(turn.name) or {}
                for name in unasked_options(turn.arguments, schema, request):
                    if name not in unasked:
                        unasked.append(name)
        return unasked

    def unasked_numbers(self, request: str) -> list[str]:
        """The unasked options (`unasked_options`) whose value is a number or a flag: those
        a request can only ask for in its own words (a text value it may name in other
        words: "November 5, 2023" for '2023-11-05')."""
        values = {
            name: value for turn in self.turns if turn.ok for name, value in turn.arguments.items()
        }
        return [
            name
            for name in self.unasked_options(request)
            if isinstance(values.get(name), bool | int | float)
        ]

    @property
    def group(self) -> str:
        """Examples sharing a source (an original and its paraphrases) stay in one split."""
        return self.paraphrase_of or self.id


def example_id(source_trial: str, paraphrase: int | None = None) -> str:
    suffix = "" if paraphrase is None else f"~p{paraphrase}"
    return f"{source_trial}{suffix}"


def turns_of(trial: Trial, last_call_only: bool) -> list[Turn]:
    """The executed calls of a trial (malformed replies dropped), or its last successful one.

    A call that repeats an earlier one and got the same answer is left out: an example
    teaches the call that fulfils the request, not a call sent twice (4 of 108 trials of a
    dev exploration sent a successful call again)."""
    turns: list[Turn] = []
    for step in trial.answer_steps:
        if step.call is None:
            continue
        turn = Turn(
            name=step.call.name,
            arguments=step.call.arguments,
            observation=step.observation or "",
            ok=step.tool_ok is not False,
        )
        if turn not in turns:
            turns.append(turn)
    if last_call_only:
        successful = [t for t in turns if t.ok]
        return successful[-1:]
    return turns


def from_trial(trial: Trial, tool_specs: list[dict[str, Any]], last_call_only: bool) -> Example:
    turns = turns_of(trial, last_call_only)
    failed_first = any(not t.ok for t in turns) and turns[-1].ok if turns else False
    return Example(
        id=example_id(trial.id),
        tool=trial.tool,
        query=trial.query,
        turns=turns,
        final_answer=trial.final_answer or "",
        source_trial=trial.id,
        recovered=failed_first,
        tools=tool_specs,
    )


def split_of(example: Example, dev_share: float, seed: int) -> str:
    """ "train" or "dev", fixed by the example's group and the seed."""
    digest = hashlib.sha256(f"{seed}/{example.group}".encode()).digest()
    return "dev" if int.from_bytes(digest[:8], "big") / 2**64 < dev_share else "train"
