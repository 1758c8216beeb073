"""A trial whose calls are right and whose answer is not, answered again from its results.

The 1.5B model often calls a tool rightly and then garbles the answer: 68,170,000 people
stated as "681.7 million" or "6.817e+08", a date count's sign flipped, a field asked for left
out. The rule checks reject the trial for its answer (`faithful`, `fields_answered`, ...),
and with it a call that would have taught the tool: in xdev2, 10 of 108 trials failed
answer checks alone, 5 of them of the country tool that yielded 3 examples. So a trial
that fails answer checks only (its reflection said it was solved, every check of its
request, calls and arguments passed) is answered again by the distilling model from the
request and the results, and the new answer replaces the old only if every rule check then
passes; the judge then judges the trial with its new answer. The calls and results stay
the trial's: only what the model wrote after the last result is written again, as
hindsight (the request was answered from these results, badly).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from ste.checks.calls import record_results
from ste.checks.rules import rule_checks
from ste.checks.verdict import Check
from ste.explore.backward import results_shown
from ste.explore.settings import trial_seed
from ste.jsonl import append_jsonl
from ste.models.base import ChatModel, Generation
from ste.models.retry import RequestFailed
from ste.outcome import leaves, numbers_in
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

# the checks that judge the final answer alone: a trial failing only these has calls worth
# keeping (the reflection's is not among them: a trial its model said failed stays out)
ANSWER_CHECKS = frozenset(
    {
        "faithful",
        "units_answered",
        "list_answered",
        "all_returned",
        "both_answered",
        "fields_answered",
        "names_from_results",
        "dates_from_results",
        "times_from_results",
        "flags_as_results",
        "answers_broadly",
    }
)
ANSWERS = "answers.jsonl"  # answers written again for trials failing answer checks alone


def answer_only(checks: list[Check]) -> bool:
    """Whether the failed checks are all checks of the answer (and some failed)."""
    failed = {check.name for check in checks if not check.ok}
    return bool(failed) and failed <= ANSWER_CHECKS


async def answer_again(model: ChatModel, trial: Trial, seed: int) -> tuple[str, str]:
    """(the new answer, the raw reply) to `trial`'s request from its successful calls."""
    prompt = render("distill_answer_again", query=trial.query, results=results_shown(trial))
    response = await model.chat(
        [{"role": "user", "content": prompt}], generation=Generation(0.0, 256, seed=seed)
    )
    text = response.text.strip()
    for label in ("Final Answer:", "Answer:"):
        if label in text:
            text = text.split(label, 1)[1].strip()
    return text, response.text


def adds_to_request(trial: Trial) -> Check:
    """The answer states something the results add to the request: a number or a text value
    of a result that neither the request nor a call gives. A terse model answers "17:30" to
    "convert 17:30 from UTC to Shanghai time", which no faithfulness check can fault."""
    given = (
        trial.query
        + " "
        + " ".join(
            json.dumps(step.call.arguments, ensure_ascii=False)
            for step in trial.call_steps
            if step.call is not None
        )
    )
    answer = trial.final_answer or ""
    results = [s.observation or "" for s in trial.call_steps if s.tool_ok is True]
    new_numbers = (numbers_in(answer) & set().union(*map(numbers_in, results))) - numbers_in(given)
    texts = set()
    for result in results:
        try:
            found = list(leaves(json.loads(result)))
        except (json.JSONDecodeError, ValueError, RecursionError):
            continue
        texts |= {leaf for leaf in found if isinstance(leaf, str)}
        # a single digit, which `numbers_in` leaves out: "(1 + 4) / 2 * 2 is 5"
        texts |= {f"{leaf:g}" for leaf in found if _digit(leaf)}
    # a short text counts as a word of its own ("OK" in 'means "OK"', not in "looks")
    new_texts = [
        t
        for t in texts
        if (len(t.strip()) >= 2 or t.isdigit())
        and re.search(rf"(?<!\w){re.escape(t.casefold())}(?!\w)", answer.casefold())
        and t.casefold() not in given.casefold()
    ]
    if new_numbers or new_texts or _chosen_inputs(trial, answer):
        return Check("adds_to_request", True, "the answer states what the results add")
    return Check(
        "adds_to_request",
        False,
        f"the answer {answer[:60]!r} states nothing the results add to the request",
    )


def _digit(leaf: object) -> bool:
    return isinstance(leaf, int | float) and not isinstance(leaf, bool) and 0 <= leaf <= 9


def _chosen_inputs(trial: Trial, answer: str) -> list[str]:
    """The passed values a result picks out by their parameter's name, that the answer
    names: `"newer": "b"` for version_b '2.0.0' makes "2.0.0 is newer" what the result adds,
    though the request gave 2.0.0."""
    return [
        passed
        for step, result in record_results(trial)
        for value in result.values()
        if isinstance(value, str) and value.strip()
        for name, passed in step.call.arguments.items()  # type: ignore[union-attr]
        if (name == value or name.endswith(f"_{value}"))
        and isinstance(passed, str)
        and passed
        and passed in answer
    ]


def answered(
    trial: Trial, text: str, tool: Tool, require_reflection: bool
) -> tuple[Trial | None, list[Check]]:
    """`trial` with `text` as its answer, and its checks (those of every trial, and
    `adds_to_request`); None where a check still fails."""
    if not text:
        return None, [Check("finished", False, "no answer in the reply")]
    again = trial.model_copy(
        update={"final_answer": text, "answered_again_from": trial.final_answer}
    )
    checks = [*rule_checks(again, tool, require_reflection), adds_to_request(again)]
    return (again if all(c.ok for c in checks) else None), checks


async def recorded_answer(
    model: ChatModel, trial: Trial, seed: int, out: Path
) -> dict[str, Any] | None:
    """The answer written again for `trial` (recorded in `answers.jsonl`), None where the
    endpoint failed."""
    try:
        text, raw = await answer_again(model, trial, trial_seed(seed, trial.id, 2, 0))
    except RequestFailed:
        return None
    record = {"trial": trial.id, "text": text, "raw": raw}
    append_jsonl(out / ANSWERS, record)
    return record
