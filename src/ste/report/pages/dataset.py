"""The page of a distilled dataset (`ste distill`): its summary, the distillation funnel, the
per-tool table, rejected trials and example training examples; the sections also serve an
experiment."""

from __future__ import annotations

from typing import Any

from ste.report import components as ui
from ste.report import plots

TOOL_HEADER = [
    "tool",
    "explored",
    "kept",
    "rejected",
    "paraphrases accepted",
    "examples",
    "recovered",
]


def example_html(example: dict[str, Any]) -> str:
    """One distilled example: query, its calls with their observations, the answer."""
    origin = (
        f"paraphrase of {example['paraphrase_of']}"
        if example.get("paraphrase_of")
        else f"from trial {example.get('source_trial', '?')}"
    )
    badges = ui.badge(example.get("split", "train")) + (
        ui.badge("recovered", "warn") if example.get("recovered") else ""
    )
    parts = [ui.query(example.get("query"))]
    for number, call in enumerate(example.get("turns", []), 1):
        bad = call.get("ok") is False
        calling = [
            ui.labelled("Action", ui.esc(call.get("name")), "action"),
            ui.arguments(call.get("arguments")),
            ui.observation(call.get("observation"), bad),
        ]
        parts.append(ui.turn(f"call {number}", calling, bad))
    parts.append(ui.final_answer(example.get("final_answer")))
    why = f"{ui.esc(example.get('why', ''))} · {ui.esc(origin)}"
    return ui.card(example.get("id"), badges, why, parts)


def _tool_row(tool: str, row: dict[str, Any]) -> list[str]:
    """A row of the per-tool table: what became of one tool's trials."""
    rejected = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in row.get("rejected", {}).items())
    accepted = row.get("paraphrases_accepted", 0)
    return [
        ui.esc(tool),
        str(row.get("explored", 0)),
        str(row.get("kept", 0)),
        ui.esc(rejected) or "–",
        f"{accepted} / {accepted + row.get('paraphrases_rejected', 0)}",
        str(row.get("examples", 0)),
        str(row.get("recovered", 0)),
    ]


def dataset_sections(data: dict[str, Any], name: str = "") -> list[str]:
    """Funnel, per-tool plot and table, rejected trials, example training examples."""
    summary = data["summary"]
    where = f" ({name})" if name else ""
    rows = [_tool_row(tool, row) for tool, row in sorted(summary.get("tools", {}).items())]
    rejected_rows = [
        [
            ui.esc(d["id"]),
            ui.esc(str(d.get("rejected_by", "")).replace("_", " ")),
            ui.clip(d.get("reason", ""), 300),
        ]
        for d in data["rejected_shown"]
    ]
    return [
        ui.section(
            f"Distillation funnel{where}",
            ui.figure(
                plots.funnel(data["funnel"], data["rejections"]),
                "distillation funnel and rejection reasons",
                "Trials pass rule checks (finished, a call succeeded, valid arguments, an "
                "answer faithful to the results, a query in words, the model's own "
                "reflection, calls that reproduce), then the judge, then near-duplicate "
                "removal; kept trials are paraphrased into more examples.",
            ),
            anchor="funnel",
        ),
        ui.section(
            f"Per tool{where}",
            ui.figure(
                plots.dataset_tools(summary), "kept and rejected trials and examples per tool"
            ),
            ui.table(TOOL_HEADER, rows, text=[3]),
            anchor="dataset-tools",
            note=(
                f"No kept example: {ui.esc(', '.join(summary['no_examples']))}. Practice "
                "taught the model nothing it could show about these tools."
                if summary.get("no_examples")
                else ""
            ),
        ),
        ui.section(
            f"Rejected trials{where}",
            ui.table(["trial", "rejected by", "reason"], rejected_rows, text=[1, 2])
            if rejected_rows
            else "",
            note="The first few rejected trials and why.",
        ),
        ui.section(
            f"Example training examples{where}",
            *(example_html(e) for e in data["examples_shown"]),
            anchor="examples",
        ),
    ]


def _summary(data: dict[str, Any]) -> str:
    """The headline numbers of the dataset and how it was made."""
    summary = data["summary"]
    manifest = data["manifest"]
    rows = summary.get("tools", {}).values()
    accepted = sum(r.get("paraphrases_accepted", 0) for r in rows)
    tried = accepted + sum(r.get("paraphrases_rejected", 0) for r in rows)
    cells = [
        (
            "explored trials",
            f"{summary.get('explored', 0):,}",
            f"{len(summary.get('tools', {}))} tools",
        ),
        (
            "kept",
            f"{summary.get('kept', 0):,}",
            f"{ui.pct(summary.get('acceptance_pct'))} accepted",
        ),
        (
            "examples",
            f"{summary.get('examples', 0):,}",
            ", ".join(f"{n} {split}" for split, n in data["splits"].items()),
        ),
        ("paraphrases", f"{accepted:,}", f"accepted of {tried:,} tried"),
    ]
    settings = manifest.get("settings", {})
    return ui.summary(
        cells,
        [
            ("explored by", manifest.get("explored_by")),
            ("exploration run", manifest.get("run")),
            ("judge", manifest.get("judge") if settings.get("judge", True) else "off"),
            ("paraphraser", manifest.get("paraphraser")),
            ("near-duplicates", summary.get("dedup")),
            ("exports", ", ".join(summary.get("exports", {}))),
        ],
    )


def dataset_page(data: dict[str, Any]) -> str:
    title = f"Dataset: {data['summary'].get('examples', 0)} examples distilled from exploration"
    return ui.page(
        title, ui.esc(data["path"]), [_summary(data), *dataset_sections(data)], data["path"]
    )
