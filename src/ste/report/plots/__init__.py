"""The report's plots (matplotlib, Agg), each returned as a `data:image/png;base64,...` URI
so that the page needs no other file; None when there is nothing to plot.

This package gathers them in one namespace: the shared style and helpers are in `base`, the
plots in `exploration`, `dataset` and `scores` (eval results and experiments)."""

from __future__ import annotations

from ste.report.plots.base import METRIC_LABELS, plot
from ste.report.plots.dataset import dataset_tools, funnel
from ste.report.plots.exploration import (
    exploration_curves,
    learning_curve,
    tokens_over_time,
    tool_bars,
)
from ste.report.plots.scores import (
    OUTCOME_COLOURS,
    condition_bars,
    eval_outcomes,
    metric_bars,
    per_tool_scores,
    stage_costs,
)

__all__ = [
    "METRIC_LABELS",
    "OUTCOME_COLOURS",
    "condition_bars",
    "dataset_tools",
    "eval_outcomes",
    "exploration_curves",
    "funnel",
    "learning_curve",
    "metric_bars",
    "per_tool_scores",
    "plot",
    "stage_costs",
    "tokens_over_time",
    "tool_bars",
]
