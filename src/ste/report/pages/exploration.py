"""The page of an exploration run (`ste explore`): its summary, learning curve, per-tool table,
tokens and a few trials as the model lived them; the sections also serve an experiment."""

from __future__ import annotations

from typing import Any

from ste.report import components as ui
from ste.report import plots

TOOL_HEADER = [
    "tool",
    "trials",
    "solved",
    "tool errors",
    "a call succeeded",
    "calls",
    "malformed",
    "distinct queries",
    "parameters used",
    "distinct values",
    "distinct errors",
    "tokens",
]


# --- trajectories --------------------------------------------------------------------------


def trial_html(trial: dict[str, Any]) -> str:
    """One exploration trial: query, each reply (Thought, Action, Action Input, Observation;
    errors in red), the final answer and the reflection."""
    badges = (
        ui.verdict(trial.get("solved"))
        + (
            ui.badge(f"{trial['tool_errors']} tool error(s)", "bad")
            if trial.get("tool_errors")
            else ""
        )
        + (
            ui.badge(f"{trial['format_errors']} malformed", "warn")
            if trial.get("format_errors")
            else ""
        )
    )
    parts = [ui.query(trial.get("query") or "(no query imagined)")]
    for number, step in enumerate(trial.get("steps", []), 1):
        parts.append(step_html(number, step))
    if trial.get("final_answer") is None:
        parts.append(
            f'<div class="line err">stopped without a final answer '
            f"({ui.esc(trial.get('stop_reason', '?'))})</div>"
        )
    reason = trial.get("reflection_reason") or trial.get("reflection") or ""
    if trial.get("solved") is not None or reason:
        word = {True: "Yes", False: "No"}.get(trial.get("solved"), "–")
        if reason[: len(word)].casefold() == word.casefold():
            reason = reason[len(word) :].lstrip(" ,.:;-")  # "Yes, because ..." -> "because ..."
        colour = {True: "good", False: "bad"}.get(trial.get("solved"), "")
        parts.append(
            f'<div class="reflection"><span class="k">Reflection:</span> '
            f'<b class="{colour}">{word}</b> {ui.clip(reason, 600)}</div>'
        )
    usage = trial.get("usage") or {}
    parts.append(
        f'<div class="line more">{trial.get("calls", 0)} tool call(s) · '
        f"{usage.get('calls', 0)} model request(s) · "
        f"{ui.tokens(usage.get('prompt_tokens', 0))} prompt + "
        f"{ui.tokens(usage.get('completion_tokens', 0))} completion tokens · "
        f"{ui.duration(trial.get('seconds', 0))}</div>"
    )
    return ui.card(trial.get("id"), badges, ui.esc(trial.get("why", "")), parts)


def step_html(number: int, step: dict[str, Any]) -> str:
    """One reply of a trial: what the model thought and called, and what came back."""
    lines: list[str] = []
    failed = bool(step.get("parse_error")) or step.get("tool_ok") is False
    if step.get("thought") and not step.get("parse_error"):
        lines.append(ui.labelled("Thought", ui.clip(step["thought"]), "thought"))
    call = step.get("call")
    if call:
        lines.append(
            ui.labelled("Action", ui.esc(call.get("name")), "action")
            + ui.labelled("Action Input", kind="action")
            + ui.arguments(call.get("arguments"))
        )
    if step.get("parse_error"):
        lines.append(
            ui.labelled("Not understood", err=True)
            + ui.block(ui.clip((step.get("raw") or "").strip(), 600), err=True)
            + ui.labelled("Feedback", ui.clip(step["parse_error"]), err=True)
        )
    elif step.get("observation") is not None:
        bad = step.get("tool_ok") is False
        kind = f" ({ui.esc(step['error_kind'])})" if bad and step.get("error_kind") else ""
        lines.append(ui.observation(step["observation"], bad, kind))
    if step.get("final_answer") is not None:
        lines.append(ui.final_answer(step["final_answer"]))
    if not lines:
        lines.append(ui.block(ui.clip(step.get("raw") or "(empty reply)", 600), err=True))
    return ui.turn(f"reply {number}", lines, failed)


# --- sections ------------------------------------------------------------------------------


def _tool_row(label: str, stats: dict[str, Any]) -> list[str]:
    """A row of the per-tool table (`label` as HTML): one tool's figures, or the overall ones."""
    return [
        label,
        str(stats["trials"]),
        ui.pct(stats["solved_pct"]),
        ui.pct(stats["tool_error_pct"]),
        ui.pct(stats["call_succeeded_pct"]),
        str(stats["calls"]),
        str(stats["format_errors"]),
        str(stats["distinct_queries"]),
        # coverage: what successful calls exercised, and the errors met (older runs: none)
        str(len(stats.get("coverage", {}).get("parameters", []))),
        str(stats.get("coverage", {}).get("distinct_values", "–")),
        str(stats.get("coverage", {}).get("distinct_errors", "–")),
        ui.tokens(stats["usage"]["prompt_tokens"] + stats["usage"]["completion_tokens"]),
    ]


def exploration_sections(data: dict[str, Any], name: str = "") -> list[str]:
    """Learning curve, per-tool bars and table, tokens, example trials."""
    summary = data["summary"]
    overall = summary["overall"]
    where = f" ({name})" if name else ""
    if not overall["trials"]:
        return [ui.section(f"Exploration{where}", '<p class="note">No trial has finished yet.</p>')]
    tool_rows = [_tool_row(ui.esc(tool), s) for tool, s in sorted(summary["tools"].items())]
    spent = summary["ledger"].get("all", {})
    token_note = (
        f"{ui.tokens(spent.get('calls', 0))} model requests "
        f"({ui.tokens(spent.get('cached', 0))} from the cache), "
        f"{ui.tokens(spent.get('prompt_tokens', 0))} prompt tokens sent "
        f"({ui.tokens(spent.get('evaluated_prompt_tokens', 0))} evaluated), "
        f"{ui.tokens(spent.get('completion_tokens', 0))} completion tokens."
    )
    return [
        ui.section(
            f"Learning curve{where}",
            ui.figure(
                plots.learning_curve(summary),
                "solved and tool-error rates by trial index and by episode",
                "Solved: share of judged trials the model said it fulfilled. Tool-error rate: "
                "share of tool calls that failed. Numbers are percentages.",
            ),
            note="Does the model get better at the tools as it practises, within an episode "
            "(one conversation) and from episode to episode (long-term memory)?",
            anchor="learning",
        ),
        ui.section(
            f"Per tool{where}",
            ui.figure(plots.tool_bars(summary), "solved and tool-error rate per tool"),
            ui.table(TOOL_HEADER, tool_rows, _tool_row("overall", overall)),
            note="Coverage: the parameters and the distinct string values that successful "
            "calls passed, and the distinct errors the tool answered with (values masked).",
            anchor="tools",
        ),
        ui.section(
            f"Tokens{where}",
            ui.figure(
                plots.tokens_over_time(data["tokens"]),
                "cumulative tokens",
                "Cumulative over the run's model requests (usage.jsonl).",
            ),
            note=ui.esc(token_note),
            anchor="tokens",
        ),
        ui.section(
            f"Example trials{where}",
            *(trial_html(t) for t in data["trials_shown"]),
            note="A few trials as the model lived them. Model-written text is shown as is; "
            "errors are in red.",
            anchor="trials",
        ),
    ]


def _summary(data: dict[str, Any]) -> str:
    """The headline numbers of the run and its settings."""
    manifest = data["manifest"]
    summary = data["summary"]
    overall = summary["overall"]
    settings = manifest.get("settings", {})
    tools = manifest.get("tools", [])
    spent = summary["ledger"].get("all", {})
    off = [k for k in ("ltm", "stm", "reflection", "execute") if settings.get(k) is False]
    planned = len(tools) * settings.get("episodes", 0) * settings.get("trials", 0)
    cells = [
        ("trials", f"{overall['trials']:,}", f"of {planned:,} planned" if planned else ""),
        (
            "solved",
            ui.pct(overall["solved_pct"]),
            f"{overall['solved']} trials: a call succeeded, the answer follows its results; "
            f"the model's reflection agreed on {ui.pct(overall.get('reflection_agrees_pct'))}",
        ),
        (
            "tool errors",
            ui.pct(overall["tool_error_pct"]),
            f"{overall['tool_errors']} of {overall['calls']} calls",
        ),
        ("a call succeeded", ui.pct(overall["call_succeeded_pct"]), "share of trials"),
        ("malformed replies", f"{overall['format_errors']:,}", "corrected by feedback"),
        (
            "reviewed",
            f"{overall.get('reviewed', 0):,}",
            f"trials told what the rule checks found; {overall.get('review_called_again', 0)} "
            f"called again; {overall.get('restated', 0)} requests restated with the values "
            f"their call made up; {overall.get('from_call', 0)} written from a call where the "
            "model imagined none it could try",
        ),
        ("distinct queries", f"{overall['distinct_queries']:,}", "imagined by the model"),
        (
            "tokens",
            ui.tokens(spent.get("prompt_tokens", 0) + spent.get("completion_tokens", 0)),
            f"{ui.tokens(spent.get('calls', 0))} model requests",
        ),
        ("model time", ui.duration(overall["seconds"]), "summed over trials"),
    ]
    return ui.summary(
        cells,
        [
            ("model", manifest.get("model")),
            ("tools", ", ".join(t.get("name", "?") for t in tools)),
            (
                "budget",
                f"{settings.get('episodes')} episodes × {settings.get('trials')} trials per "
                f"tool, up to {settings.get('max_turns')} replies per trial",
            ),
            ("protocol", settings.get("protocol")),
            ("ablations", ", ".join(f"no {k}" for k in off)),
            ("ste", manifest.get("ste_version")),
        ],
    )


def exploration_page(data: dict[str, Any]) -> str:
    manifest = data["manifest"]
    tools = manifest.get("tools", [])
    title = f"Exploration: {manifest.get('model', '?')} practising {len(tools)} tool(s)"
    subtitle = ui.esc(data["path"])
    return ui.page(title, subtitle, [_summary(data), *exploration_sections(data)], data["path"])
