"""What an exploration did: per tool and per trial index (does the model learn within an
episode?), tokens from the ledger, and one trial rendered readably."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from ste.agent.trajectory import Trajectory
from ste.display import table, trajectory_view
from ste.explore.coverage import Coverage
from ste.models.base import Usage
from ste.records import Trial

STOP_REASONS = ("final_answer", "max_turns", "first_call", "answer_at_limit")
USAGE_FIELDS = ("calls", "prompt_tokens", "completion_tokens", "evaluated_prompt_tokens")


def _percent(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def coverage(trials: list[Trial]) -> dict[str, Any]:
    """What practice exercised: the parameters passed in successful calls, the distinct
    string values they passed, and the distinct errors the tool answered with (values
    masked)."""
    return Coverage.of(trials).as_dict()


def trial_stats(trials: list[Trial]) -> dict[str, Any]:
    """Counts and rates over some trials."""
    judged = [t for t in trials if t.solved is not None]  # with a reflection verdict
    outcome = {t.id: t.outcome.solved for t in trials}  # judged once per trial
    honest = list(outcome.values())
    calls = sum(t.calls for t in trials)
    tool_errors = sum(t.tool_errors for t in trials)
    queries = {" ".join(t.query.casefold().split()) for t in trials if t.query}
    usage = Usage()
    for t in trials:
        usage.add(t.usage)
    return {
        "trials": len(trials),
        "solved": sum(honest),
        "solved_pct": _percent(sum(honest), len(trials)),
        "reflection_solved_pct": _percent(sum(bool(t.solved) for t in judged), len(judged)),
        "reflection_agrees_pct": _percent(
            sum(t.solved == outcome[t.id] for t in judged), len(judged)
        ),
        "finished_pct": _percent(sum(t.final_answer is not None for t in trials), len(trials)),
        "call_succeeded_pct": _percent(sum(t.call_succeeded for t in trials), len(trials)),
        "calls": calls,
        "tool_errors": tool_errors,
        "tool_error_pct": _percent(tool_errors, calls),
        "format_errors": sum(t.format_errors for t in trials),
        # told by the review what the rule checks found (`ste.explore.review`), and of those,
        # the ones that then called again
        "reviewed": sum(bool(t.review) for t in trials),
        "review_called_again": sum(t.answer_steps is not t.steps for t in trials),
        # requests written again with the values their call made up (`ste.explore.restate`)
        "restated": sum(t.restated_from is not None for t in trials),
        # requests written from a call, where the model imagined none it could try
        # (`ste.explore.backward`), and trials without a request all the same
        "from_call": sum(t.request_from_call is not None for t in trials),
        "no_query": sum(not t.query for t in trials),
        "distinct_queries": len(queries),
        "coverage": coverage(trials),
        "usage": usage.as_dict(),
        "seconds": round(sum(t.seconds for t in trials), 1),
    }


def summarise(trials: list[Trial], ledger: list[dict[str, Any]]) -> dict[str, Any]:
    by_tool: dict[str, list[Trial]] = defaultdict(list)
    by_index: dict[int, list[Trial]] = defaultdict(list)
    by_episode: dict[int, list[Trial]] = defaultdict(list)
    for t in trials:
        by_tool[t.tool].append(t)
        by_index[t.trial].append(t)
        by_episode[t.episode].append(t)
    spent: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(USAGE_FIELDS, 0))
    for entry in ledger:
        for key in (entry.get("tool") or "?", "all"):
            for field in USAGE_FIELDS:
                spent[key][field] += int(entry.get(field, 0))
            spent[key]["cached"] = spent[key].get("cached", 0) + int(bool(entry.get("cached")))
    return {
        "overall": trial_stats(trials),
        "tools": {tool: trial_stats(ts) for tool, ts in by_tool.items()},
        "by_trial_index": {i + 1: trial_stats(by_index[i]) for i in sorted(by_index)},
        "by_episode": {e + 1: trial_stats(by_episode[e]) for e in sorted(by_episode)},
        "ledger": dict(spent),
    }


def _cell(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def tools_table(summary: dict[str, Any]) -> Table:
    # solved: honestly (ste.outcome); agrees: the model's reflection said the same
    columns = ["tool", "trials", "solved%", "agrees%", "errors%", "calls", "queries"]
    columns += ["params", "errors seen", "tokens"]  # ten fit 80 columns (distinct values: JSON)
    rows = []
    for name, stats in [*summary["tools"].items(), ("overall", summary["overall"])]:
        usage = stats["usage"]
        rows.append(  # malformed replies are in the summary JSON
            [
                name if name != "overall" else "[bold]overall[/bold]",
                str(stats["trials"]),
                _cell(stats["solved_pct"]),
                _cell(stats["reflection_agrees_pct"]),
                _cell(stats["tool_error_pct"]),
                str(stats["calls"]),
                str(stats["distinct_queries"]),
                str(len(stats.get("coverage", {}).get("parameters", []))),
                str(stats.get("coverage", {}).get("distinct_errors", 0)),
                f"{usage['prompt_tokens'] + usage['completion_tokens']:,}",
            ]
        )
    return table("per tool", columns, rows)


def trial_index_table(summary: dict[str, Any]) -> Table:
    columns = ["trial in episode", "trials", "solved %", "tool-error %", "a call succeeded %"]
    rows = [
        [str(index), str(stats["trials"])]
        + [_cell(stats[key]) for key in ("solved_pct", "tool_error_pct", "call_succeeded_pct")]
        for index, stats in summary["by_trial_index"].items()
    ]
    return table("by trial index (learning within an episode)", columns, rows)


def review_line(summary: dict[str, Any]) -> str:
    overall = summary["overall"]
    return (
        f"reviewed {overall.get('reviewed', 0)} trial(s) (told what the rule checks found), "
        f"{overall.get('review_called_again', 0)} of them called again; "
        f"restated {overall.get('restated', 0)} request(s) with the values their call made up; "
        f"wrote {overall.get('from_call', 0)} request(s) from a call where the model imagined "
        f"none it could try ({overall.get('no_query', 0)} trial(s) still without one)"
    )


def ledger_line(summary: dict[str, Any]) -> str:
    spent = summary["ledger"].get("all")
    if not spent:
        return "no model requests recorded"
    return (
        f"model requests {spent['calls']:,} ({spent.get('cached', 0):,} from cache) · "
        f"prompt tokens sent {spent['prompt_tokens']:,}, evaluated "
        f"{spent['evaluated_prompt_tokens']:,} · completion tokens {spent['completion_tokens']:,}"
    )


def trial_view(trial: Trial, model: str = "", protocol: str = "") -> Group:
    trajectory = Trajectory(
        query=trial.query or "(no query imagined)",
        model=model,
        protocol=protocol,
        steps=trial.steps,
        final_answer=trial.final_answer,
        stop_reason=trial.stop_reason if trial.stop_reason in STOP_REASONS else "max_turns",
        usage=trial.usage,
        seconds=trial.seconds,
    )
    header = Text.assemble(
        (trial.id, "bold"),
        f"  (seed {trial.seed})\n",
        ("Imagined: ", "bold"),
        " | ".join(r.strip()[:300] for r in trial.imagination),
    )
    verdict = {True: ("Yes", "bold green"), False: ("No", "bold red"), None: ("-", "dim")}
    word, style = verdict[trial.solved]
    outcome = trial.outcome
    footer = Text.assemble(
        ("Outcome: ", "bold"),
        ("solved" if outcome.solved else "not solved", "green" if outcome.solved else "red"),
        f"  {outcome.reason}\n",
        ("Reflection: ", "bold"),
        (word, style),
        f"  {trial.reflection_reason}",
    )
    if trial.review:
        footer.append("\nReview: ", style="bold")
        footer.append("; ".join(trial.review))
        if trial.answer_steps is not trial.steps:
            footer.append(f"  (the steps from {trial.reviewed_at + 1} on replace those before)")
    if trial.restated_from is not None:
        footer.append("\nRestated from: ", style="bold")
        footer.append(trial.restated_from)
    if trial.request_from_call is not None:
        footer.append("\nRequest written from the call: ", style="bold")
        footer.append(json.dumps(trial.request_from_call["arguments"], ensure_ascii=False))
    if trial.error:
        footer.append(f"\nerror: {trial.error}", style="red")
    return Group(header, trajectory_view(trajectory), footer)
