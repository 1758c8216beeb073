"""Rule checks on a finished trial, without a model: each gives a verdict and its reason.

Beside the trial's own shape (a final answer, a call that ran, valid arguments, the
reflection's Yes), a kept example must be right: its answer consistent with the tool's
results (`ste.outcome`: no number the results do not hold; no code such as `UTC` or `EUR`
that neither the request nor a result holds), its query a request in natural language
(not an argument object, a refusal or talk about the tool), its arguments those of the
request (`ste.checks.arguments`), the entity it asks for by a superlative not one the
model chose from memory (`ste.checks.entities`). Distillation keeps a trial only when all
of them pass (and its calls reproduce: `ste.distill.reproduction`); exploration counts
the trials that pass them (`usable`) to know which tools still yield no example.
"""

from __future__ import annotations

from ste.checks.arguments import enums_as_asked, every_choice_asked, grounded
from ste.checks.claims import (
    answered_in_users_terms,
    answers_broadly,
    dates_from_results,
    flags_as_results,
    names_from_results,
    picked_from_request,
)
from ste.checks.content import content_given
from ste.checks.entities import entity_from_request
from ste.checks.expressions import expression_numbers_used
from ste.checks.literals import (
    answer_not_echoed,
    computes_something,
    dates_passed,
    grouping_kept,
    identifiers_given,
)
from ste.checks.options import options_asked
from ste.checks.owners import numbers_to_their_parameters
from ste.checks.parts import (
    all_returned,
    both_answered,
    ends_differ,
    every_value_passed,
    fields_answered,
    list_answered,
    quantities_used,
)
from ste.checks.records import records_as_results
from ste.checks.requests import natural_query
from ste.checks.scales import bounds_as_asked, scaled_as_described, units_answered, units_as_asked
from ste.checks.swaps import kept_to_the_request
from ste.checks.times import offsets_used, times_as_asked, times_from_results
from ste.checks.unit_codes import unit_codes_as_asked
from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.execute import validation_errors
from ste.tools.tool import Tool

__all__ = ["Check", "rule_checks", "usable"]


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
    checks.append(natural_query(trial.query, tool))
    checks.append(grounded(trial, tool))
    checks.append(scaled_as_described(trial, tool))
    checks.append(units_as_asked(trial, tool))
    checks.append(numbers_to_their_parameters(trial, tool))
    checks.append(unit_codes_as_asked(trial))
    checks.append(units_answered(trial))
    checks.append(bounds_as_asked(trial, tool))
    checks.append(enums_as_asked(trial, tool))
    checks.append(options_asked(trial, tool))
    checks.append(every_choice_asked(trial, tool))
    checks.append(every_value_passed(trial, tool))
    checks.append(kept_to_the_request(trial, tool))
    checks.append(entity_from_request(trial, tool))
    checks.append(dates_passed(trial, tool))
    checks.append(identifiers_given(trial))
    checks.append(content_given(trial, tool))
    checks.append(answered_in_users_terms(trial, tool))
    checks.append(computes_something(trial, tool))
    checks.append(answer_not_echoed(trial))
    checks.append(grouping_kept(trial))
    checks.append(times_as_asked(trial))
    checks.append(offsets_used(trial))
    checks.append(quantities_used(trial))
    checks.append(expression_numbers_used(trial))
    checks.append(list_answered(trial))
    checks.append(all_returned(trial))
    checks.append(both_answered(trial))
    checks.append(fields_answered(trial))
    checks.append(records_as_results(trial))
    checks.append(ends_differ(trial))
    checks.append(names_from_results(trial))
    checks.append(dates_from_results(trial))
    checks.append(times_from_results(trial))
    checks.append(flags_as_results(trial))
    checks.append(picked_from_request(trial))
    checks.append(answers_broadly(trial))
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


def usable(trial: Trial, tool: Tool) -> bool:
    """Whether the trial passes every rule check but the reflection's: an example
    distillation can keep (re-execution and the judge aside)."""
    return all(check.ok for check in rule_checks(trial, tool, require_reflection=False))
