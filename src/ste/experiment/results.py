"""The experiment's table: each condition's scores with confidence intervals, and the cost of
every stage (time, tokens, model requests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ste.records import read_ledger

METRICS = ("well_formed", "api_match", "correct", "exec_equivalent")


def _cell(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "–"
    return f"{stats['rate']:.1f} [{stats['ci_low']:.0f}–{stats['ci_high']:.0f}]"


def _versus(paired: dict[str, Any] | None) -> str:
    if not paired:
        return "–"
    p = paired["p_value"]
    mark = " (significant)" if p < 0.05 else ""
    return f"{paired['only_baseline']} vs {paired['only_condition']}, p = {p:.3g}{mark}"


def results_markdown(results: dict[str, Any]) -> str:
    lines = [
        f"# STE on {results['bench']} with {results['model']}",
        "",
        "| condition | n | " + " | ".join(METRICS) + " | vs baseline (McNemar) |",
        "|---|---:|" + "---:|" * len(METRICS) + "---|",
    ]
    for name, condition in results["conditions"].items():
        overall = condition["overall"]
        lines.append(
            f"| {name} | {overall['n']} | "
            + " | ".join(_cell(overall.get(m)) for m in METRICS)
            + f" | {_versus(condition.get('vs_baseline'))} |"
        )
    lines += [
        "",
        "First-call scores, % with 95% Wilson intervals (API match: share of well-formed). "
        "vs baseline: items right only without / only with the condition, and McNemar's "
        "exact p on correct.",
        "",
        "| stage | seconds | model requests | prompt tokens | completion tokens |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, cost in results["stages"].items():
        lines.append(
            f"| {name} | {cost['seconds']:.0f} | {cost.get('calls', 0):,} | "
            f"{cost.get('prompt_tokens', 0):,} | {cost.get('completion_tokens', 0):,} |"
        )
    if results.get("budget"):
        lines += ["", "Budget: " + ", ".join(f"{k} {v}" for k, v in results["budget"].items())]
    return "\n".join(lines) + "\n"


def ledger_usage(path: Path) -> dict[str, int]:
    entries = read_ledger(path)
    return {
        key: sum(e[key] for e in entries) for key in ("calls", "prompt_tokens", "completion_tokens")
    }
