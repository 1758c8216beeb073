"""The page of an experiment (`ste experiment`): its conditions compared with the baseline,
per tool, its explorations side by side, what each stage cost, and the sections of its
exploration and dataset subfolders."""

from __future__ import annotations

from typing import Any

from ste.report import components as ui
from ste.report import plots
from ste.report.pages.dataset import dataset_sections
from ste.report.pages.exploration import exploration_sections

METRICS = ("well_formed", "api_match", "correct", "exec_equivalent")


def _baseline_name(conditions: dict[str, Any]) -> str | None:
    """The condition run from the `baseline` folder, if any."""
    return next((n for n, c in conditions.items() if c.get("folder") == "baseline"), None)


def _baseline(conditions: dict[str, Any], base_name: str | None) -> dict[str, Any] | None:
    return conditions.get(base_name) if base_name else None


def _base_rate(baseline: dict[str, Any] | None) -> float | None:
    """The baseline's correct rate, that the other conditions are compared with."""
    return baseline["overall"]["correct"]["rate"] if baseline else None


def _headline_cells(results: dict[str, Any], base_name: str | None) -> list[tuple[str, str, str]]:
    """The baseline's correct rate, up to three conditions against it, and the cost."""
    conditions = results.get("conditions", {})
    baseline = _baseline(conditions, base_name)
    base_rate = _base_rate(baseline)
    cells: list[tuple[str, str, str]] = []
    if baseline:
        stats = baseline["overall"]["correct"]
        cells.append(
            ("baseline correct", ui.pct(stats["rate"]), f"{stats['successes']} of {stats['n']}")
        )
    for name in [n for n in conditions if n != base_name][:3]:
        stats = conditions[name]["overall"].get("correct")
        if not stats:
            continue
        delta = ""
        if base_rate is not None:
            change = stats["rate"] - base_rate
            colour = "good" if change > 0 else "bad" if change < 0 else ""
            delta = f'<span class="{colour}">{change:+.1f} points</span> vs baseline'
        cells.append((f"{name}: correct", ui.pct(stats["rate"]), delta))
    stages = results.get("stages", {})
    spent = sum(s.get("prompt_tokens", 0) + s.get("completion_tokens", 0) for s in stages.values())
    cells.append(
        (
            "cost",
            ui.duration(sum(s.get("seconds", 0) for s in stages.values())),
            f"{ui.tokens(spent)} tokens, {len(stages)} stages",
        )
    )
    return cells


def _conditions_table(
    conditions: dict[str, Any], paired: dict[str, Any], base_name: str | None
) -> str:
    """Each condition's scores, its change in correct and its McNemar test against the
    baseline."""
    base_rate = _base_rate(_baseline(conditions, base_name))
    rows: list[list[str]] = []
    for name, condition in conditions.items():
        overall = condition.get("overall", {})
        test = paired.get(name)
        change = ""
        if base_rate is not None and name != base_name and overall.get("correct"):
            change = f"{overall['correct']['rate'] - base_rate:+.1f}"
        rows.append(
            [
                ui.esc(name),
                str(overall.get("n", 0)),
                *(ui.ci(overall.get(m)) for m in METRICS),
                change,
                f"+{test['won']} / −{test['lost']}, p = {test['p']:.3g}" if test else "",
            ]
        )
    header = [
        "condition",
        "n",
        *(plots.METRIC_LABELS[m] for m in METRICS),
        "Δ correct",
        "vs baseline (McNemar)",
    ]
    return ui.table(header, rows)


def _summary(data: dict[str, Any], base_name: str | None) -> str:
    """The headline numbers, the conditions table and the experiment's settings."""
    results = data["results"]
    settings = results.get("settings", {})
    return ui.summary(
        _headline_cells(results, base_name),
        [
            ("bench", results.get("bench")),
            ("model", results.get("model")),
            ("judge", settings.get("judge") or results.get("model")),
            ("protocol", settings.get("protocol")),
            ("ablations", ", ".join(settings.get("ablations") or [])),
            *((k, v) for k, v in (results.get("budget") or {}).items()),
        ],
        _conditions_table(results.get("conditions", {}), data["paired"], base_name),
        note="First-call scores, % with 95% Wilson intervals. The McNemar column counts test "
        "items a condition got right that the baseline got wrong (+) and the reverse (−).",
    )


def _by_label(conditions: dict[str, Any], base_name: str | None) -> dict[str, Any]:
    """The conditions for the plots: the baseline first, labelled `baseline` (drawn grey)."""
    return {
        ("baseline" if n == base_name else n): c
        for n, c in sorted(conditions.items(), key=lambda item: item[0] != base_name)
    }


def _conditions_section(by_label: dict[str, Any]) -> str:
    return ui.section(
        "Conditions",
        ui.figure(plots.condition_bars(by_label), "correct per condition"),
        note="The dotted line is the baseline; the best condition is green.",
        anchor="conditions",
    )


def _per_tool_section(by_label: dict[str, Any], compared: bool) -> str:
    """Correct per tool for each condition; `compared` when there is more than the baseline."""
    per_condition = {label: c.get("per_tool", {}) for label, c in by_label.items()}
    title, alt = ("Per tool: before and after", " per condition") if compared else ("Per tool", "")
    return ui.section(
        title,
        ui.figure(plots.per_tool_scores(per_condition), f"correct per tool{alt}"),
        anchor="per-tool",
    )


def _explorations_section(parts: dict[str, Any]) -> str:
    explorations = {
        name: part["summary"] for name, part in parts.items() if part["kind"] == "exploration"
    }
    return ui.section(
        "Explorations compared",
        ui.figure(plots.exploration_curves(explorations), "solved by trial index, per run"),
        note="Solved % of each exploration run: the full method and its ablations.",
    )


def _cost_section(stages: dict[str, Any]) -> str:
    rows = [
        [
            ui.esc(name),
            ui.duration(cost.get("seconds", 0)),
            ui.tokens(cost.get("calls", 0)),
            ui.tokens(cost.get("prompt_tokens", 0)),
            ui.tokens(cost.get("completion_tokens", 0)),
        ]
        for name, cost in stages.items()
    ]
    header = ["stage", "time", "model requests", "prompt tokens", "completion tokens"]
    return ui.section(
        "Cost",
        ui.figure(plots.stage_costs(stages), "time and tokens per stage"),
        ui.table(header, rows) if stages else "",
        anchor="cost",
    )


def _subfolder_sections(parts: dict[str, Any]) -> list[str]:
    """The sections of the experiment's own exploration run and dataset, if it has them."""
    sections: list[str] = []
    if "explore" in parts:
        sections += exploration_sections(parts["explore"], "explore/")
    if "dataset" in parts:
        sections += dataset_sections(parts["dataset"], "dataset/")[:2]
    return sections


def experiment_page(data: dict[str, Any]) -> str:
    results = data["results"]
    conditions = results.get("conditions", {})
    base_name = _baseline_name(conditions)
    by_label = _by_label(conditions, base_name)
    sections = [
        _summary(data, base_name),
        _conditions_section(by_label),
        _per_tool_section(by_label, compared=any(n != base_name for n in conditions)),
        _explorations_section(data["parts"]),
        _cost_section(results.get("stages", {})),
        *_subfolder_sections(data["parts"]),
    ]
    title = f"STE on {results.get('bench', '?')} with {results.get('model', '?')}"
    subtitle = ui.esc(data["path"]) + f" · {len(conditions)} condition(s)"
    return ui.page(title, subtitle, sections, data["path"])
