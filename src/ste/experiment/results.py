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
    lines += _per_tool(results)
    if results.get("budget"):
        lines += ["", "Budget: " + ", ".join(f"{k} {v}" for k, v in results["budget"].items())]
    return "\n".join(lines) + "\n"


def _per_tool(results: dict[str, Any]) -> list[str]:
    """Per tool: what practice gave (trials, honestly solved, kept, examples) beside each
    condition's correct first calls, so a tool practice taught nothing about stands out."""
    practice = results.get("practice") or {}
    conditions = results["conditions"]
    tools = list(practice) or sorted(
        {t for c in conditions.values() for t in c.get("per_tool", {})}
    )
    if not tools:
        return []
    labels = [c["folder"] for c in conditions.values()]
    lines = [
        "",
        "| tool | trials | solved | kept | examples | "
        + " | ".join(f"correct: {label}" for label in labels)
        + " |",
        "|---|---:|---:|---:|---:|" + "---:|" * len(labels),
    ]
    for tool in tools:
        row = practice.get(tool, {})
        cells = [str(row[k]) if k in row else "–" for k in ("trials", "solved", "kept", "examples")]
        for condition in conditions.values():
            stats = condition.get("per_tool", {}).get(tool, {}).get("correct")
            cells.append(f"{stats['successes']}/{stats['n']}" if stats else "–")
        lines.append(f"| {tool} | " + " | ".join(cells) + " |")
    starved = [tool for tool in tools if practice.get(tool, {}).get("kept", 1) == 0]
    lines += [
        "",
        "Per tool: trials explored, honestly solved (a call succeeded and the answer follows "
        "from the results), kept by distillation, examples after paraphrase; then correct "
        "first calls per condition (folder).",
    ]
    if starved:
        lines += [
            "",
            f"**No kept example: {', '.join(starved)}.** Practice taught nothing usable "
            "about these tools; their in-context items saw demonstrations of other tools only.",
        ]
    return lines


def ledger_usage(path: Path) -> dict[str, int]:
    entries = read_ledger(path)
    return {
        key: sum(e[key] for e in entries) for key in ("calls", "prompt_tokens", "completion_tokens")
    }
