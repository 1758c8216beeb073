"""A trial whose request alone is at fault, asked for again from its call and result.

A small explorer often imagines a request without a value the tool needs ("the status code
of https://example.com" for a tool that explains a status code; "the latest of several
versions" with no versions), then calls the tool with one it made up (code 200); or writes
its request in the tool's terms ("please provide the input '1700000000' for the value and
'iso' for the target"). The call ran and its result was read, but no example can be kept
from such a request. Exploration asks the model to restate a request that lacked values
(`ste.explore.restate`), but in the episode's conversation the model is anchored to what it
wrote: in a bundled exploration it repeated its request word for word in every one of 6
tries, and the tool kept no example.

So distillation asks once more, in a fresh conversation that shows only the tool, the call
and its result (not the old request: shown it, the model copied it in 12 of 13 bundled
trials), and names the values the call chose, or says how the old request was not a
user's: hindsight relabelling, the request written backward from what really ran, as
Learn-by-Interact's backward construction does. The new request is answered again from the
same results (the old answer was written for the old request,
`ste.distill.answer_again`), and the trial is kept only if, with both, every rule check
passes (the call's values must now come from the request) and the answer states something
the results add to the request. The calls and results stay the trial's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ste.checks.rules import rule_checks
from ste.checks.verdict import Check
from ste.distill.answer_again import adds_to_request, answer_again
from ste.explore.backward import write_request
from ste.explore.restate import missing_values, restated_trial, shown_values, unnamed_texts
from ste.explore.settings import trial_seed
from ste.jsonl import append_jsonl
from ste.models.base import ChatModel
from ste.models.retry import RequestFailed
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

REQUESTS = "requests.jsonl"  # requests written again with the values their calls chose
# what no new request can mend: no call ran, or one ran with arguments the schema refuses
CALL_FAULTS = frozenset({"call_succeeded", "arguments_valid"})


def request_fault(trial: Trial, checks: list[Check], tool: Tool) -> str:
    """What is wrong with the trial's request alone, as the model is told it; "" where the
    trial has another fault (or none): the values its call chose that the request did not
    give, or the request not written as a user would write it (`natural_query`) where a
    call ran with valid arguments. An unnatural request is never kept, so whatever else
    failed with it (the call's values against the request's, the answer) is judged again
    with the request written from the calls and answered again: in xbundled3, 7 trials
    whose request said "please provide the input ..." or asked how the tool works failed
    another check too, and were lost."""
    failed = {check.name: check for check in checks if not check.ok}
    if not failed:
        return ""
    if values := missing_values(trial, tool):
        return render("distill_request_values", values=shown_values(values, tool))
    if "natural_query" in failed and not failed.keys() & CALL_FAULTS:
        return render("distill_request_unnatural", problem=failed["natural_query"].reason)
    return ""


async def recorded_request(
    model: ChatModel, trial: Trial, fault: str, tool: Tool, seed: int, out: Path
) -> dict[str, Any] | None:
    """The request of `trial` written again without its `fault` (`request_fault`), and its
    answer from the trial's results (recorded in `requests.jsonl`); None where the endpoint
    failed."""
    query, raw, answer, answer_raw = "", "", "", ""
    try:
        query, raw = await write_request(model, tool, trial, fault, seed)
        if query:
            asked = restated_trial(trial, query)
            answer, answer_raw = await answer_again(model, asked, trial_seed(seed, trial.id, 4, 0))
    except RequestFailed:
        return None
    record = {
        "trial": trial.id,
        "fault": fault.strip(),
        "query": query,
        "raw": raw,
        "answer": answer,
        "answer_raw": answer_raw,
    }
    append_jsonl(out / REQUESTS, record)
    return record


def requested(trial: Trial, record: dict[str, Any], tool: Tool) -> tuple[Trial | None, list[Check]]:
    """`trial` with the recorded request and answer, and what was checked; None where a
    check fails (then the first failed check says why)."""
    if not record.get("query"):
        return None, [Check("natural_query", False, "no request in the reply")]
    if not record.get("answer"):
        return None, [Check("finished", False, "no answer to the new request")]
    again = restated_trial(trial, record["query"]).model_copy(
        update={"final_answer": record["answer"], "answered_again_from": trial.final_answer}
    )
    # the reflection judged the first request, not this one: the checks judge this one
    checks = [*rule_checks(again, tool, require_reflection=False), adds_to_request(again)]
    if unnamed := unnamed_texts(again, tool):
        checks.append(Check("request_again", False, f"it does not give {unnamed[0][1]!r}"))
    return (again if all(c.ok for c in checks) else None), checks
