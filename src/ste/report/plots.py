"""The report's plots (matplotlib, Agg), each returned as a `data:image/png;base64,...` URI
so that the page needs no other file; None when there is nothing to plot."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from functools import wraps
from typing import Any, ParamSpec

import matplotlib

matplotlib.use("Agg")

from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402

GREEN = "#2e8b57"
RED = "#d1495b"
BLUE = "#3a6ea5"
ORANGE = "#edae49"
PURPLE = "#7b5ea7"
TEAL = "#00798c"
GREY = "#9aa5b1"
DARK = "#30343b"
SERIES = (BLUE, ORANGE, PURPLE, TEAL, RED, GREEN, "#8c564b", "#e377c2")

METRIC_LABELS = {
    "well_formed": "well-formed",
    "api_match": "API match",
    "correct": "correct",
    "lenient_correct": "lenient correct",
    "exec_equivalent": "exec-equivalent",
    "answer_correct": "answer correct",
}
STYLE = {
    "font.size": 10,
    "text.parse_math": False,  # a "$" in a name is a dollar sign
    "axes.titlesize": 11,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.labelcolor": DARK,
    "axes.edgecolor": "#c5cad1",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "axes.axisbelow": True,
    "grid.color": "#e6e9ed",
    "grid.linewidth": 0.8,
    "xtick.color": DARK,
    "ytick.color": DARK,
    "legend.frameon": False,
    "figure.dpi": 100,
    "savefig.dpi": 160,
}
DPI = 160
WIDTH = 10.0  # inches; the page shows figures at up to WIDTH * 100 CSS pixels

P = ParamSpec("P")


def _png(figure: Figure) -> str:
    FigureCanvasAgg(figure)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight", facecolor="white")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def plot(function: Callable[P, Figure | None]) -> Callable[P, str | None]:
    """Run a function that draws a Figure in the report's style; return its PNG data URI."""

    @wraps(function)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> str | None:
        with matplotlib.rc_context(STYLE):
            figure = function(*args, **kwargs)
            return None if figure is None else _png(figure)

    return wrapper


def _tokens(value: float, _position: Any = None) -> str:
    for size, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:.3g}{suffix}"
    return f"{value:.0f}"


def _percent_axis(axis: Any, which: str = "y") -> None:
    limits = axis.set_ylim if which == "y" else axis.set_xlim
    limits(0, 104)
    ticks = axis.yaxis if which == "y" else axis.xaxis
    ticks.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))


def _hbar_grid(axis: Any) -> None:
    axis.grid(axis="y", visible=False)
    axis.tick_params(axis="y", length=0)


def _shorten(label: str, width: int = 34) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# --- exploration ---------------------------------------------------------------------------


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
    _percent_axis(axis)
    axis.set_ylim(0, 110)
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
    axis.set_yticks(list(rows), [_shorten(t) for t in tools])
    axis.invert_yaxis()
    _percent_axis(axis, "x")
    axis.set_xlim(0, 112)
    _hbar_grid(axis)
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
        axis.yaxis.set_major_formatter(FuncFormatter(_tokens))
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
        _percent_axis(axis)
        axis.set_title(title)
        axis.set_xlabel(xlabel)
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
    left.set_ylabel("% of trials solved")
    right.legend(loc="lower right", fontsize=9)
    return figure


# --- dataset -------------------------------------------------------------------------------


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
    bars = left.barh(labels, values, color=colours, height=0.62)
    left.bar_label(bars, padding=4, fontsize=9, color=DARK)
    left.invert_yaxis()
    left.set_xlim(0, max(values + [1]) * 1.18)
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    _hbar_grid(left)
    left.set_title("Distillation funnel")
    if rejections:
        reasons = list(rejections)
        counts = [rejections[r] for r in reasons]
        bars = right.barh([r.replace("_", " ") for r in reasons], counts, color=RED, height=0.62)
        right.bar_label(bars, padding=4, fontsize=9, color=DARK)
        right.invert_yaxis()
        right.set_xlim(0, max(counts) * 1.25)
        right.xaxis.set_major_locator(MaxNLocator(integer=True))
        _hbar_grid(right)
        right.set_title("Why trials were rejected")
    else:
        right.axis("off")
        right.text(0.5, 0.5, "no trial was rejected", ha="center", va="center", color=DARK)
    return figure


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
    start = [0] * len(tools)
    kept = [rows[t]["kept"] for t in tools]
    left.barh(positions, kept, color=GREEN, label="kept", height=0.6)
    start = kept[:]
    shades = ("#d1495b", "#e07a5f", "#f2a65a", "#b56576", "#8d3b48", "#f4c095")
    for reason, colour in zip(reasons, shades * 3, strict=False):
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
    left.set_yticks(positions, [_shorten(t, 26) for t in tools])
    left.invert_yaxis()
    left.xaxis.set_major_locator(MaxNLocator(integer=True))
    _hbar_grid(left)
    left.set_title("Explored trials per tool")
    left.legend(loc="upper left", bbox_to_anchor=(0, -0.08 - 0.6 / (len(tools) + 2)), ncols=3)
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
    _hbar_grid(right)
    right.set_title("Examples per tool")
    right.legend(loc="upper left", bbox_to_anchor=(0, -0.08 - 0.6 / (len(tools) + 2)), ncols=2)
    return figure


# --- eval and experiment -------------------------------------------------------------------


def _ci(stats: list[dict[str, Any] | None]) -> list[list[float]]:
    low = [max(0.0, s["rate"] - s["ci_low"]) if s else 0.0 for s in stats]
    high = [max(0.0, s["ci_high"] - s["rate"]) if s else 0.0 for s in stats]
    return [low, high]


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
        yerr=_ci(stats),
        capsize=5,
        error_kw={"elinewidth": 1.2, "ecolor": DARK},
    )
    # past the interval's end, where the error bar does not cross it
    axis.bar_label(bars, labels=[f"{s['rate']:.1f}%" for s in stats], padding=3, fontweight="bold")
    _percent_axis(axis)
    axis.set_ylim(0, 110)
    axis.grid(axis="x", visible=False)
    axis.set_title("Overall, with 95% intervals (API match: share of well-formed replies)")
    return figure


OUTCOME_COLOURS = {
    "correct": GREEN,
    "wrong arguments": ORANGE,
    "wrong tool": PURPLE,
    "no call": RED,
}


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
        f"{_shorten(t, 26)} ({n})" for t, n in zip(tools, totals[1:], strict=True)
    ]
    axis.set_yticks(positions, labels)
    axis.get_yticklabels()[0].set_fontweight("bold")
    axis.invert_yaxis()
    axis.set_xlim(0, 100)
    axis.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:.0f}%"))
    _hbar_grid(axis)
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
            xerr=_ci(stats),
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
    axis.set_yticks(list(range(len(tools))), [_shorten(t, 28) for t in tools])
    axis.invert_yaxis()
    _percent_axis(axis, "x")
    axis.set_xlim(0, 112)
    _hbar_grid(axis)
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
        [_shorten(n, 40) for n, _ in named],
        [s["rate"] for s in stats],
        color=colours,
        height=0.6,
        xerr=_ci(stats),
        error_kw={"elinewidth": 1.2, "ecolor": DARK, "capsize": 4},
    )
    axis.bar_label(bars, labels=[f"{s['rate']:.1f}%" for s in stats], padding=5, fontweight="bold")
    baseline = next((s for n, s in named if n == "baseline"), None)
    if baseline:
        axis.axvline(baseline["rate"], color=GREY, linestyle=":", linewidth=1.2)
    axis.invert_yaxis()
    _percent_axis(axis, "x")
    axis.set_xlim(0, 112)
    _hbar_grid(axis)
    axis.set_title(f"{METRIC_LABELS.get(metric, metric)} % by condition, 95% intervals")
    return figure


@plot
def stage_costs(stages: dict[str, dict[str, Any]]) -> Figure | None:
    """Minutes per stage, with the tokens each spent."""
    if not stages:
        return None
    names = list(stages)
    minutes = [stages[n].get("seconds", 0) / 60 for n in names]
    figure = Figure(figsize=(WIDTH, 0.9 + 0.42 * len(names)), layout="constrained")
    axis = figure.subplots()
    colours = [
        {"baseline": GREY, "explore": TEAL, "distill": PURPLE}.get(n.split("-")[0], BLUE)
        for n in names
    ]
    bars = axis.barh(names, minutes, color=colours, height=0.6)
    labels = [
        f"{m:.1f} min · {_tokens(stages[n].get('prompt_tokens', 0))} prompt + "
        f"{_tokens(stages[n].get('completion_tokens', 0))} completion tokens"
        for n, m in zip(names, minutes, strict=True)
    ]
    axis.bar_label(bars, labels=labels, padding=4, fontsize=8, color=DARK)
    axis.set_xlim(0, max(minutes + [0.1]) * 1.9)
    axis.invert_yaxis()
    _hbar_grid(axis)
    axis.set_xlabel("minutes")
    axis.set_title("What each stage cost")
    return figure
