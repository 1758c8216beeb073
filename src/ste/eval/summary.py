"""Scores with 95% confidence intervals, overall and per tool, as JSON and Markdown."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ste.eval.stats import proportion_summary
from ste.records import EvalRecord

# metric -> (record field, denominator: "all" items or "well_formed" items), method.md's
METRICS = {
    "well_formed": ("well_formed", "all"),
    "api_match": ("api_match", "well_formed"),
    "correct": ("correct", "all"),
    "lenient_correct": ("lenient_correct", "all"),
    "exec_equivalent": ("exec_equivalent", "all"),
    "answer_correct": ("answer_correct", "all"),
}


def summarise(records: list[EvalRecord]) -> dict[str, Any]:
    out: dict[str, Any] = {"n": len(records)}
    for metric, (field, base) in METRICS.items():
        pool = [r for r in records if getattr(r, field) is not None]  # answer_correct: --full
        if base == "well_formed":
            pool = [r for r in pool if r.well_formed]
        if field == "answer_correct" and not pool:
            continue
        out[metric] = proportion_summary(sum(bool(getattr(r, field)) for r in pool), len(pool))
    out["prompt_tokens"] = sum(r.usage.prompt_tokens for r in records)
    out["completion_tokens"] = sum(r.usage.completion_tokens for r in records)
    out["model_seconds"] = round(sum(r.seconds for r in records), 1)
    return out


def summarise_by_tool(records: list[EvalRecord]) -> dict[str, Any]:
    groups: dict[str, list[EvalRecord]] = defaultdict(list)
    for record in records:
        groups[record.tool].append(record)
    return {
        "overall": summarise(records),
        "per_tool": {tool: summarise(group) for tool, group in sorted(groups.items())},
    }


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "–"
    return f"{stats['rate']:.1f} [{stats['ci_low']:.0f}–{stats['ci_high']:.0f}]"


def markdown(summary: dict[str, Any], title: str) -> str:
    metrics = [m for m in METRICS if m in summary["overall"]]
    header = "| tool | n | " + " | ".join(metrics) + " |"
    rule = "|---|---:|" + "---:|" * len(metrics)
    rows = [
        f"| **overall** | {summary['overall']['n']} | "
        + " | ".join(_cell(summary["overall"].get(m)) for m in metrics)
        + " |"
    ]
    for tool, stats in summary["per_tool"].items():
        rows.append(
            f"| {tool} | {stats['n']} | " + " | ".join(_cell(stats.get(m)) for m in metrics) + " |"
        )
    note = (
        "Percentages with 95% Wilson intervals. api_match is a share of well-formed replies; "
        "the others are shares of all items."
    )
    return "\n".join([f"# {title}", "", header, rule, *rows, "", note, ""])
