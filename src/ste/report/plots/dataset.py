"""The plots of a distilled dataset: the distillation funnel and what became of each tool's
trials."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ste.report.plots.base import (
    BLUE,
    DARK,
    GREEN,
    GREY,
    RED,
    WIDTH,
    count_bars,
    hbar_grid,
    plot,
    shorten,
)

REJECTION_SHADES = ("#d1495b", "#e07a5f", "#f2a65a", "#b56576", "#8d3b48", "#f4c095")


@plot
def funnel(stages: list[tuple[str, int]], rejections: dict[str, int]) -> Figure | None:
    """Explored trials down to examples; beside it, why trials were rejected."""
    if not stages:
        return None
    figure = Figure(figsize=(WIDTH, 0.9 + 0.5 * max(len(stages), len(rejections), 3)))
    left, right = figure.subplots(1, 2, width_ratios=[1.5, 1])
    figure.subplots_adjust(wspace=0.55)
    labels = [label for label, _ in stages]
    values = [value for _, value in stages]
    colours = [GREY] + [BLUE] * (len(stages) - 2) + [GREEN] if len(stages) > 1 else [GREY]
    count_bars(left, labels, values, colours, max(values + [1]) * 1.18, "Distillation funnel")
    if rejections:
        reasons = [r.replace("_", " ") for r in rejections]
        counts = list(rejections.values())
        count_bars(right, reasons, counts, RED, max(counts) * 1.25, "Why trials were rejected")
    else:
        right.axis("off")
        right.text(0.5, 0.5, "no trial was rejected", ha="center", va="center", color=DARK)
    return figure


def _legend_below(axis: Any, rows: int, columns: int) -> None:
    axis.legend(loc="upper left", bbox_to_anchor=(0, -0.08 - 0.6 / (rows + 2)), ncols=columns)


@plot
def dataset_tools(summary: dict[str, Any]) -> Figure | None:
    """Per tool: trials kept and rejected (stacked by reason), and examples made."""
    rows = summary.get("tools", {})
    if not rows:
        return None
    tools = sorted(rows)
    reasons = sorted({r for row in rows.values() for r in row.get("rejected", {})})
    figure = Figure(figsize=(WIDTH, 1.1 + 0.42 * len(tools)), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True, width_ratios=[1.6, 1])
    positions = list(range(len(tools)))
    kept = [rows[t]["kept"] for t in tools]
    left.barh(positions, kept, color=GREEN, label="kept", height=0.6)
    start = kept[:]
    for reason, colour in zip(reasons, REJECTION_SHADES * 3, strict=False):
        values = [rows[t].get("rejected", {}).get(reason, 0) for t in tools]
        left.barh(
            positions,
            values,
            left=start,
            color=colour,
            label=f"rejected: {reason.replace('_', ' ')}",
            height=0.6,
        )
        start = [a + b for a, b in zip(start, values, strict=True)]
    left.set_yticks(positions, [shorten(t, 26) for t in tools])
    left.invert_yaxis()
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    hbar_grid(left)
    left.set_title("Explored trials per tool")
    _legend_below(left, len(tools), 3)
    examples = [rows[t]["examples"] for t in tools]
    originals = [rows[t]["kept"] for t in tools]
    right.barh(positions, originals, color=BLUE, label="from trials", height=0.6)
    bars = right.barh(
        positions,
        [e - o for e, o in zip(examples, originals, strict=True)],
        left=originals,
        color="#8fb3d9",
        label="paraphrases",
        height=0.6,
    )
    right.bar_label(bars, labels=[str(e) for e in examples], padding=3, fontsize=8)
    right.set_xlim(0, max(examples + [1]) * 1.2)
    right.xaxis.set_major_locator(MaxNLocator(integer=True))
    hbar_grid(right)
    right.set_title("Examples per tool")
    _legend_below(right, len(tools), 2)
    return figure
