"""The plots of an exploration run: learning curves, per-tool rates, tokens over time, and
several runs' curves side by side."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from ste.report.plots.base import (
    BLUE,
    DARK,
    GREEN,
    ORANGE,
    RED,
    SERIES,
    TEAL,
    WIDTH,
    hbar_grid,
    percent_axis,
    plot,
    shorten,
    token_count,
)


def _curve(axis: Any, groups: dict[int, dict[str, Any]], title: str, xlabel: str) -> None:
    xs = list(groups)
    solved = [groups[x]["solved_pct"] for x in xs]
    errors = [groups[x]["tool_error_pct"] for x in xs]
    for values, colour, label in ((solved, GREEN, "solved"), (errors, RED, "tool-error rate")):
        points = [(x, v) for x, v in zip(xs, values, strict=True) if v is not None]
        if points:
            px, py = zip(*points, strict=True)
            axis.plot(px, py, "-o", color=colour, label=label, linewidth=2.2, markersize=6)
            # every value when there are few points, else the first and the last
            shown = points if len(points) <= 8 else [points[0], points[-1]]
            for x, y in shown:
                axis.annotate(
                    f"{y:.0f}",
                    (x, y),
                    textcoords="offset points",
                    xytext=(0, 7),
                    ha="center",
                    fontsize=8,
                    color=colour,
                )
    percent_axis(axis, top=110)
    axis.set_title(title)
    axis.set_xlabel(xlabel)
    if len(xs) <= 12:
        axis.set_xticks(xs)
    else:
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(xs) == 1:
        axis.set_xlim(xs[0] - 1, xs[0] + 1)


@plot
def learning_curve(summary: dict[str, Any]) -> Figure | None:
    """Solved % and tool-error % by trial index within an episode, and by episode."""
    if not summary["overall"]["trials"]:
        return None
    figure = Figure(figsize=(WIDTH, 3.6), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    _curve(left, summary["by_trial_index"], "Within an episode", "trial in the episode")
    _curve(right, summary["by_episode"], "Across episodes", "episode")
    left.set_ylabel("% of trials (solved) / of calls (errors)")
    handles, labels = left.get_legend_handles_labels()
    figure.legend(handles, labels, loc="outside upper right", ncols=2)
    return figure


@plot
def tool_bars(summary: dict[str, Any]) -> Figure | None:
    """Per tool: solved % and tool-error % as horizontal bars."""
    tools = sorted(summary["tools"])
    if not tools:
        return None
    figure = Figure(figsize=(WIDTH, 0.9 + 0.42 * len(tools)), layout="constrained")
    axis = figure.subplots()
    height = 0.38
    rows = range(len(tools))
    for offset, key, colour, label in (
        (-height / 2, "solved_pct", GREEN, "solved"),
        (height / 2, "tool_error_pct", RED, "tool-error rate"),
    ):
        values = [summary["tools"][t][key] or 0 for t in tools]
        bars = axis.barh([r + offset for r in rows], values, height, color=colour, label=label)
        axis.bar_label(bars, fmt="%.0f%%", padding=3, fontsize=8, color=DARK)
    axis.set_yticks(list(rows), [shorten(t) for t in tools])
    axis.invert_yaxis()
    percent_axis(axis, "x", top=112)
    hbar_grid(axis)
    axis.legend(loc="lower right", ncols=2, bbox_to_anchor=(1, 1.0))
    return figure


@plot
def tokens_over_time(series: dict[str, Any]) -> Figure | None:
    """Cumulative prompt tokens (sent and evaluated) and completion tokens, side by side."""
    if not series["x"]:
        return None
    figure = Figure(figsize=(WIDTH, 3.3), layout="constrained")
    left, right = figure.subplots(1, 2, sharex=True)
    xs = series["x"]
    left.plot(xs, series["prompt"], color=BLUE, linewidth=2.2, label="sent")
    left.fill_between(xs, series["prompt"], color=BLUE, alpha=0.08)
    if series["evaluated"] != series["prompt"]:
        left.plot(
            xs,
            series["evaluated"],
            color=TEAL,
            linewidth=1.8,
            linestyle="--",
            label="evaluated (the rest came from the KV cache)",
        )
    right.plot(xs, series["completion"], color=ORANGE, linewidth=2.2)
    right.fill_between(xs, series["completion"], color=ORANGE, alpha=0.1)
    for axis, title in ((left, "Prompt tokens"), (right, "Completion tokens")):
        axis.set_title(f"{title} (cumulative)")
        axis.yaxis.set_major_formatter(FuncFormatter(token_count))
        axis.set_xlabel(series["x_label"])
        axis.set_ylim(bottom=0)
        axis.set_xlim(min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1)
        if series["x_label"] == "model request":
            axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.legend(loc="upper left", fontsize=9)
    return figure


@plot
def exploration_curves(runs: dict[str, dict[str, Any]]) -> Figure | None:
    """Solved % by trial index for several explorations (an experiment's conditions)."""
    runs = {name: s for name, s in runs.items() if s["overall"]["trials"]}
    if len(runs) < 2:
        return None
    figure = Figure(figsize=(WIDTH, 3.4), layout="constrained")
    left, right = figure.subplots(1, 2, sharey=True)
    for (name, summary), colour in zip(runs.items(), SERIES * 4, strict=False):
        for axis, groups in ((left, summary["by_trial_index"]), (right, summary["by_episode"])):
            points = [
                (x, s["solved_pct"]) for x, s in groups.items() if s["solved_pct"] is not None
            ]
            if points:
                px, py = zip(*points, strict=True)
                axis.plot(px, py, "-o", color=colour, label=name, linewidth=2, markersize=5)
    for axis, title, xlabel in (
        (left, "Solved within an episode", "trial in the episode"),
        (right, "Solved across episodes", "episode"),
    ):
        percent_axis(axis)
        axis.set_title(title)
        axis.set_xlabel(xlabel)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("% of trials solved")
    right.legend(loc="lower right", fontsize=9)
    return figure
