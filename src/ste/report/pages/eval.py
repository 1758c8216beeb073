"""The page of eval results (`ste eval`): the scores with their 95% intervals, how each tool's
items ended, and a few items with the model's reply and the verdicts."""

from __future__ import annotations

from typing import Any

from ste.report import components as ui
from ste.report import plots
from ste.report.collect import outcome

METRICS_SHOWN = ("well_formed", "api_match", "correct", "lenient_correct", "exec_equivalent")


def _metrics(stats: dict[str, Any]) -> list[str]:
    return [m for m in (*METRICS_SHOWN, "answer_correct") if isinstance(stats.get(m), dict)]


def item_html(item: dict[str, Any]) -> str:
    """One eval item: query, expected call(s), the model's reply, the verdicts."""
    ended = outcome(item)
    badges = ui.badge(ended, "ok" if ended == "correct" else "bad")
    parts = [ui.query(item.get("query"))]
    for call in item.get("expected", []):
        parts.append(
            ui.labelled("Expected", ui.esc(call.get("name")), "expected")
            + ui.arguments(call.get("arguments"))
        )
    bad = ended != "correct"
    reply = ui.clip((item.get("raw") or "(no reply)").strip(), ui.OBSERVATION_CHARS)
    parts.append(ui.turn("the model replied", [ui.block(reply, not item.get("well_formed"))], bad))
    reasons = [
        item.get(key)
        for key in ("reason", "correct_reason", "exec_reason")
        if item.get(key) and item.get(key) != "ok"
    ]
    if reasons:
        parts.append(ui.labelled("Why", ui.clip("; ".join(reasons), 600), err=bad))
    return ui.card(item.get("id"), badges, ui.esc(item.get("tool", "")), parts)


def _summary(data: dict[str, Any], metrics: list[str]) -> str:
    """The headline scores and how the eval was run."""
    summary = data["summary"]
    overall = summary["overall"]
    manifest = data["manifest"]
    cells = [("test items", f"{overall.get('n', 0):,}", f"{len(summary['per_tool'])} tools")]
    for metric in metrics:
        stats = overall[metric]
        cells.append(
            (
                plots.METRIC_LABELS[metric],
                ui.pct(stats["rate"]),
                f"{stats['successes']} of {stats['n']} · 95% CI "
                f"{stats['ci_low']:.0f}–{stats['ci_high']:.0f}",
            )
        )
    cells.append(
        (
            "tokens",
            ui.tokens(overall.get("prompt_tokens", 0) + overall.get("completion_tokens", 0)),
            f"model time {ui.duration(overall.get('model_seconds', 0))}",
        )
    )
    return ui.summary(
        cells,
        [
            ("model", manifest.get("model")),
            ("tests", manifest.get("tests")),
            ("protocol", manifest.get("protocol")),
            (
                "demonstrations",
                f"{manifest.get('k')} from {manifest.get('demos')}"
                if manifest.get("demos")
                else "none",
            ),
            ("scored", "the whole trajectory" if manifest.get("full") else "the first call"),
            ("status", "" if data["finished"] else "still running: items so far"),
        ],
    )


def _per_tool(data: dict[str, Any], metrics: list[str]) -> str:
    """How each tool's items ended (or, without outcomes, its correct rate) and its scores."""
    summary = data["summary"]
    overall = summary["overall"]
    rows = [
        [ui.esc(tool), str(stats.get("n", 0)), *(ui.ci(stats.get(m)) for m in metrics)]
        for tool, stats in summary["per_tool"].items()
    ]
    total = ["overall", str(overall.get("n", 0)), *(ui.ci(overall.get(m)) for m in metrics)]
    return ui.section(
        "Per tool",
        ui.figure(
            plots.eval_outcomes(data["outcomes"]),
            "how each item ended, per tool",
            "Correct: the right tool with the right arguments. Wrong arguments: the right "
            "tool. Wrong tool: a well-formed call of another tool. No call: no parseable "
            "call.",
        ),
        ui.figure(
            plots.per_tool_scores({"correct": summary["per_tool"]})
            if not data["outcomes"]
            else None,
            "correct per tool",
        ),
        ui.table(["tool", "n", *(plots.METRIC_LABELS[m] for m in metrics)], rows, total),
        note="Percentages with 95% Wilson intervals in brackets.",
        anchor="per-tool",
    )


def eval_page(data: dict[str, Any]) -> str:
    summary = data["summary"]
    metrics = _metrics(summary["overall"])
    sections = [
        _summary(data, metrics),
        ui.section(
            "Scores",
            ui.figure(plots.metric_bars(summary["overall"]), "scores with confidence intervals"),
            anchor="scores",
        ),
        _per_tool(data, metrics),
        ui.section(
            "Example items",
            *(item_html(i) for i in data["items_shown"]),
            anchor="items",
        ),
    ]
    title = f"Eval: {data['manifest'].get('model', '?')} on {len(summary['per_tool'])} tools"
    return ui.page(title, ui.esc(data["path"]), sections, data["path"])
