"""A trial whose request left out the values its call made up, asked for again from the call.

A small explorer often imagines a request without a value the tool needs ("the status code
of https://example.com" for a tool that explains a status code; "the latest of several
versions" with no versions), then calls the tool with one it made up (code 200). Exploration
asks the model to restate such a request with the values (`ste.explore.restate`), but in the
episode's conversation the model is anchored to what it wrote: in a bundled exploration it
repeated its request word for word in every one of 6 tries, and the tool kept no example.

So distillation asks once more, in a fresh conversation that shows only the request, the
call and its result, and names the values the call chose (hindsight relabelling: the request
is written backward from what really ran, as Learn-by-Interact's backward construction
does). The new request is then answered again from the same results (the old answer was
written for the old request, `ste.distill.answer_again`), and the trial is kept only if,
with both, every rule check passes, the first request's numbers are all kept, and the answer
states something the results add to the request. The calls and results stay the trial's.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ste.checks.rules import rule_checks
from ste.checks.verdict import Check
from ste.distill.answer_again import adds_to_request, answer_again, results_shown
from ste.explore.memory import clean_query
from ste.explore.restate import acceptable, missing_values, restated_trial, shown_values
from ste.explore.settings import trial_seed
from ste.jsonl import append_jsonl
from ste.models.base import ChatModel, Generation
from ste.models.retry import RequestFailed
from ste.prompts import render
from ste.records import Trial
from ste.tools.tool import Tool

REQUESTS = "requests.jsonl"  # requests written again with the values their calls chose
REQUEST_TOKENS = 160


def _summary(tool: Tool) -> str:
    """The first paragraph of the tool's description: what it does."""
    return tool.description.strip().split("\n\n", 1)[0].replace("\n", " ")


def _prompt(trial: Trial, values: list[tuple[str, Any]], tool: Tool) -> str:
    return render(
        "distill_request_again",
        tool_name=tool.name,
        summary=_summary(tool),
        query=trial.query,
        results=results_shown(trial),
        values=shown_values(values, tool),
    )


async def recorded_request(
    model: ChatModel, trial: Trial, tool: Tool, seed: int, out: Path
) -> dict[str, Any] | None:
    """The request of `trial` written again with the values its call chose, and its answer
    from the trial's results (recorded in `requests.jsonl`); None where the trial lacks no
    value or the endpoint failed."""
    values = missing_values(trial, tool)
    if not values:
        return None
    prompt = _prompt(trial, values, tool)
    try:
        generation = Generation(0.0, REQUEST_TOKENS, seed=trial_seed(seed, trial.id, 3, 0))
        response = await model.chat([{"role": "user", "content": prompt}], generation=generation)
        query = clean_query(response.text, prompt)  # the old request echoed is none
        answer, answer_raw = "", ""
        if query:
            asked = restated_trial(trial, query)
            answer, answer_raw = await answer_again(model, asked, trial_seed(seed, trial.id, 4, 0))
    except RequestFailed:
        return None
    record = {
        "trial": trial.id,
        "values": [[name, value] for name, value in values],
        "query": query,
        "raw": response.text,
        "answer": answer,
        "answer_raw": answer_raw,
    }
    append_jsonl(out / REQUESTS, record)
    return record


def requested(
    trial: Trial, record: dict[str, Any], tool: Tool, require_reflection: bool
) -> tuple[Trial | None, list[Check]]:
    """`trial` with the recorded request and answer, and what was checked; None where a
    check fails (then the first failed check says why)."""
    if not record.get("query"):
        return None, [Check("natural_query", False, "no request in the reply")]
    if not record.get("answer"):
        return None, [Check("finished", False, "no answer to the new request")]
    again = restated_trial(trial, record["query"]).model_copy(
        update={"final_answer": record["answer"], "answered_again_from": trial.final_answer}
    )
    if wrong := acceptable(again, trial.query, tool):
        return None, [Check("request_again", False, wrong)]
    checks = [*rule_checks(again, tool, require_reflection), adds_to_request(again)]
    return (again if all(c.ok for c in checks) else None), checks
