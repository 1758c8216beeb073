"""`ste compare`: two eval results side by side, with a paired test on correctness."""

from __future__ import annotations

from pathlib import Path

from ste.errors import SteError
from ste.eval.runner import read_items
from ste.eval.stats import paired_correct
from ste.eval.summary import summarise_by_tool
from ste.records import EvalRecord

METRICS = ("well_formed", "api_match", "correct", "exec_equivalent")


def _load(path: Path) -> list[EvalRecord]:
    records = read_items(path)
    if not records:
        raise SteError(f"{path}: no items.jsonl results (run `ste eval ... --out {path}` first)")
    return records


def compare_results(path_a: Path, path_b: Path) -> str:
    a, b = _load(path_a), _load(path_b)
    by_id_b = {r.id: r for r in b}
    shared = [r for r in a if r.id in by_id_b]
    if not shared:
        raise SteError(f"{path_a} and {path_b} share no test items")
    paired_b = [by_id_b[r.id] for r in shared]
    sum_a, sum_b = summarise_by_tool(shared), summarise_by_tool(paired_b)

    paired = paired_correct(
        {r.id: r.correct for r in shared},
        {r.id: by_id_b[r.id].correct for r in shared},
    )
    only_a, only_b = paired.only_a, paired.only_b
    lines = [
        f"A = {path_a}   B = {path_b}   ({len(shared)} shared items)",
        "",
        "| scope | metric | A | B | B − A |",
        "|---|---|---:|---:|---:|",
    ]
    scopes = [("overall", sum_a["overall"], sum_b["overall"])] + [
        (tool, sum_a["per_tool"][tool], sum_b["per_tool"][tool]) for tool in sum_a["per_tool"]
    ]
    for scope, left, right in scopes:
        for metric in METRICS if scope == "overall" else ("correct",):
            ra, rb = left[metric]["rate"], right[metric]["rate"]
            lines.append(f"| {scope} | {metric} | {ra:.1f} | {rb:.1f} | {rb - ra:+.1f} |")
    p_value = paired.p_value
    lines += [
        "",
        f"McNemar (exact) on correct: {only_a} items right only in A, {only_b} right only in "
        f"B, p = {p_value:.4g}" + (" (significant at 0.05)" if p_value < 0.05 else ""),
    ]
    return "\n".join(lines)
