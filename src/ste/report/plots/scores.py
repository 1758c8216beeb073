"""The plots of eval results and experiments: scores with 95% intervals, how items ended, per
tool and per condition comparisons, and what each stage cost."""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from ste.report.plots.base import (
    BLUE,
    DARK,
    GREEN,
    GREY,
    METRIC_LABELS,
    ORANGE,
    PURPLE,
    RED,
    SERIES,
    TEAL,
    WIDTH,
    hbar_grid,
    intervals,
    percent_axis,
    plot,
    shorten,
    token_count,
)

OUTCOME_COLOURS = {
    "correct": GREEN,
    "wrong arguments": ORANGE,
    "wrong tool": PURPLE,
    "no call": RED,
}


@plot
def metric_bars(overall: dict[str, Any]) -> Figure | None:
    """Each metric's rate with its 95% interval."""
    metrics = [m for m in METRIC_LABELS if isinstance(overall.get(m), dict)]
    if not metrics:
        return None
    figure = Figure(figsize=(WIDTH, 3.3), layout="constrained")
    axis = figure.subplots()
    stats = [overall[m] for m in metrics]
    colours = [GREEN if m == "correct" else BLUE for m in metrics]
    bars = axis.bar(
        [METRIC_LABELS[m] for m in metrics],
        [s["rate"] for s in stats],
        color=colours,
        width=0.6,
        yerr=intervals(stats),
        capsize=5,
        error_kw={"elinewidth": 1.2, "ecolor": DARK},
    )
    # past the interval's end, where the error bar does not cross it
    axis.bar_label(bars, labels=[f"{s['rate']:.1f}%" for s in stats], padding=3, fontweight="bold")
    percent_axis(axis, top=110)
    axis.grid(axis="x", visible=False)
    axis.set_title("Overall, with 95% intervals (API match: share of well-formed replies)")
    return figure


@plot
def eval_outcomes(outcomes: dict[str, dict[str, int]]) -> Figure | None:
    """Per tool, how the items ended: 100% stacked horizontal bars."""
    tools = [t for t in outcomes if t != "all"]
    if not tools:
        return None
    rows = ["all", *tools]
    figure = Figure(figsize=(WIDTH, 1.2 + 0.4 * len(rows)), layout="constrained")
    axis = figure.subplots()
    positions = list(range(len(rows)))
    start = [0.0] * len(rows)
    totals = [sum(outcomes[r].values()) or 1 for r in rows]
    for name, colour in OUTCOME_COLOURS.items():
        counts = [outcomes[r].get(name, 0) for r in rows]
        shares = [100 * c / t for c, t in zip(counts, totals, strict=True)]
        bars = axis.barh(positions, shares, left=start, color=colour, label=name, height=0.66)
        axis.bar_label(
            bars,
            labels=[str(c) if s >= 6 else "" for c, s in zip(counts, shares, strict=True)],
            label_type="center",
            color="white",
            fontsize=8,
            fontweight="bold",
        )
        start = [a + b for a, b in zip(start, shares, strict=True)]
    labels = [f"all ({totals[0]})"] + [
        f"{shorten(t, 26)} ({n})" for t, n in zip(tools, totals[1:], strict=True)
    ]
    axis.set_yticks(positions, labels)
    axis.get_yticklabels()[0].set_fontweight("bold")
    axis.invert_yaxis()
    percent_axis(axis, "x", top=100)
    hbar_grid(axis)
    axis.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=4)
    axis.set_title("How each item ended (first call)", pad=26)
    return figure


@plot
def per_tool_scores(
    per_condition: dict[str, dict[str, Any]], metric: str = "correct"
) -> Figure | None:
    """Per tool, one bar per condition (baseline first, grey) with 95% intervals."""
    tools = sorted({t for per_tool in per_condition.values() for t in per_tool})
    if not tools:
        return None
    conditions = list(per_condition)
    count = len(conditions)
    height = 0.8 / count
    figure = Figure(
        figsize=(WIDTH, 1.1 + len(tools) * max(0.45, 0.24 * count)), layout="constrained"
    )
    axis = figure.subplots()
    colours = [GREY, *SERIES] if conditions[0] == "baseline" else list(SERIES)
    for index, (name, colour) in enumerate(zip(conditions, colours * 4, strict=False)):
        stats = [per_condition[name].get(t, {}).get(metric) for t in tools]
        offset = (index - (count - 1) / 2) * height
        bars = axis.barh(
            [row + offset for row in range(len(tools))],
            [s["rate"] if s else 0 for s in stats],
            height * 0.92,
            color=colour,
            label=name,
            xerr=intervals(stats),
            error_kw={"elinewidth": 1, "ecolor": "#555b66", "capsize": 2},
        )
        if count <= 3:
            axis.bar_label(
                bars,
                labels=[f"{s['rate']:.0f}%" if s else "" for s in stats],
                padding=3,
                fontsize=7,
                color=DARK,
            )
    axis.set_yticks(list(range(len(tools))), [shorten(t, 28) for t in tools])
    axis.invert_yaxis()
    percent_axis(axis, "x", top=112)
    hbar_grid(axis)
    axis.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=min(count, 3), fontsize=9)
    axis.set_title(
        f"{METRIC_LABELS.get(metric, metric)} % per tool, 95% intervals",
        pad=14 + 14 * ((count - 1) // 3 + 1),
    )
    return figure


@plot
def condition_bars(conditions: dict[str, dict[str, Any]], metric: str = "correct") -> Figure | None:
    """One bar per condition (baseline grey, the best green) with 95% intervals."""
    named = [(n, c["overall"].get(metric)) for n, c in conditions.items() if c.get("overall")]
    named = [(n, s) for n, s in named if s]
    if not named:
        return None
    figure = Figure(figsize=(WIDTH, 1.0 + 0.55 * len(named)), layout="constrained")
    axis = figure.subplots()
    best = max(s["rate"] for _, s in named)
    colours = [
        GREY if name == "baseline" else (GREEN if s["rate"] == best else BLUE) for name, s in named
    ]
    stats = [s for _, s in named]
    bars = axis.barh(
        [shorten(n, 40) for n, _ in named],
        [s["rate"] for s in stats],
        color=colours,
        height=0.6,
        xerr=intervals(stats),
        error_kw={"elinewidth": 1.2, "ecolor": DARK, "capsize": 4},
    )
    axis.bar_label(bars, labels=[f"{s['rate']:.1f}%" for s in stats], padding=5, fontweight="bold")
    baseline = next((s for n, s in named if n == "baseline"), None)
    if baseline:
        axis.axvline(baseline["rate"], color=GREY, linestyle=":", linewidth=1.2)
    axis.invert_yaxis()
    percent_axis(axis, "x", top=112)
    hbar_grid(axis)
    axis.set_title(f"{METRIC_LABELS.get(metric, metric)} % by condition, 95% intervals")
    return figure


STAGE_COLOURS = {"baseline": GREY, "explore": TEAL, "distill": PURPLE}


@plot
def stage_costs(stages: dict[str, dict[str, Any]]) -> Figure | None:
    """Minutes per stage, with the tokens each spent."""
    if not stages:
        return None
    names = list(stages)
    minutes = [stages[n].get("seconds", 0) / 60 for n in names]
    figure = Figure(figsize=(WIDTH, 0.9 + 0.42 * len(names)), layout="constrained")
    axis = figure.subplots()
    colours = [STAGE_COLOURS.get(n.split("-")[0], BLUE) for n in names]
    bars = axis.barh(names, minutes, color=colours, height=0.6)
    labels = [
        f"{m:.1f} min · {token_count(stages[n].get('prompt_tokens', 0))} prompt + "
        f"{token_count(stages[n].get('completion_tokens', 0))} completion tokens"
        for n, m in zip(names, minutes, strict=True)
    ]
    axis.bar_label(bars, labels=labels, padding=4, fontsize=8, color=DARK)
    axis.set_xlim(0, max(minutes + [0.1]) * 1.9)
    axis.invert_yaxis()
    hbar_grid(axis)
    axis.set_xlabel("minutes")
    axis.set_title("What each stage cost")
    return figure
