"""The report as one self-contained HTML page: an inline stylesheet, plots as PNG data URIs,
no script and no external resource (a Content-Security-Policy says so too).

Every string that comes from a run (queries, replies, observations, reasons, tool names) is
written by a model or a user and goes through `esc` (html.escape).
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable
from typing import Any

from ste import __version__
from ste.report import plots

STYLE = """
:root { --ink: #24292f; --muted: #5b6470; --line: #e3e6ea; --bg: #f4f5f7;
  --green: #2e7d4f; --red: #b42318; --blue: #2f5f95; --amber: #9a6700; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 20px 40px; }
header h1 { margin: 0 0 4px; font-size: 26px; letter-spacing: -0.01em; }
header p { margin: 0; color: var(--muted); }
section { background: #fff; border: 1px solid var(--line); border-radius: 10px;
  padding: 18px 22px 20px; margin: 18px 0; }
h2 { margin: 0 0 4px; font-size: 19px; }
h3 { margin: 18px 0 6px; font-size: 16px; }
p.note { margin: 2px 0 12px; color: var(--muted); font-size: 13.5px; }
figure { margin: 10px 0 0; }
figure img { display: block; width: 100%; max-width: 1000px; height: auto; }
figcaption { color: var(--muted); font-size: 13px; margin-top: 4px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
table.data th, table.data td { padding: 5px 10px; border-bottom: 1px solid var(--line);
  text-align: right; white-space: nowrap; }
table.data th:first-child, table.data td:first-child { text-align: left; white-space: normal; }
table.data th { font-weight: 600; color: var(--muted); font-size: 12.5px; }
table.data tr.total td { font-weight: 600; border-top: 2px solid var(--line); }
table.data .text { text-align: left; white-space: normal; }
.scroll { overflow-x: auto; }
table.headline { table-layout: fixed; border-collapse: separate; border-spacing: 10px;
  margin: 4px -10px 0; width: calc(100% + 20px); }
table.headline td { background: #f7f9fb; border: 1px solid var(--line); border-radius: 8px;
  padding: 10px 14px; vertical-align: top; }
table.headline .label { color: var(--muted); font-size: 12px; text-transform: uppercase;
  letter-spacing: 0.04em; }
table.headline .value { font-size: 26px; font-weight: 700; line-height: 1.2; }
table.headline .detail { color: var(--muted); font-size: 12.5px; }
.good { color: var(--green); } .bad { color: var(--red); }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px;
  margin: 12px 0 0; font-size: 13.5px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px;
  font-weight: 600; background: #eef0f3; color: var(--muted); margin-left: 6px;
  vertical-align: 2px; }
.badge.ok { background: #e3f4e8; color: var(--green); }
.badge.bad { background: #fde8e7; color: var(--red); }
.badge.warn { background: #fff4d6; color: var(--amber); }
.traj { border: 1px solid var(--line); border-radius: 8px; margin: 14px 0; overflow: hidden; }
.traj > .head { background: #f7f9fb; padding: 8px 14px; border-bottom: 1px solid var(--line); }
.traj > .head .id { font-weight: 700; font-family: ui-monospace, "DejaVu Sans Mono", monospace;
  font-size: 13.5px; }
.traj > .head .why { color: var(--muted); font-size: 13px; margin-left: 8px; }
.traj .body { padding: 10px 14px 12px; }
.query { border-left: 4px solid var(--blue); background: #f1f5fb; padding: 8px 12px;
  margin: 2px 0 10px; border-radius: 0 6px 6px 0; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.turn { border-left: 3px solid #d0d5dc; padding: 2px 0 2px 12px; margin: 8px 0; }
.turn.failed { border-left-color: #f0a7a0; }
.turn .n { color: var(--muted); font-size: 12px; }
.line { margin: 2px 0; overflow-wrap: anywhere; white-space: pre-wrap; }
.k { font-weight: 700; margin-right: 4px; }
.k.thought { color: #0f6a7a; } .k.action { color: #8a3d96; } .k.obs { color: var(--green); }
.k.final { color: var(--green); } .k.expected { color: var(--blue); }
pre { margin: 3px 0; padding: 6px 9px; background: #f6f8fa; border-radius: 6px;
  font: 12.5px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; white-space: pre-wrap;
  overflow-wrap: anywhere; }
.err, .err .k { color: var(--red); }
pre.err { background: #fff1f0; color: var(--red); }
.reflection { margin-top: 10px; padding-top: 8px; border-top: 1px dashed var(--line); }
.more { color: var(--muted); font-style: italic; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; margin-top: 24px; }
"""
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
OBSERVATION_CHARS = 1200
TEXT_CHARS = 1500


def esc(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def clip(text: Any, limit: int = TEXT_CHARS) -> str:
    """Escaped text, cut at `limit` characters with a note of how much was left out."""
    text = "" if text is None else str(text)
    if len(text) <= limit:
        return esc(text)
    return (
        esc(text[:limit]) + f'<span class="more"> … ({len(text) - limit:,} more characters)</span>'
    )


def pct(value: float | None, digits: int = 1) -> str:
    return "–" if value is None else f"{value:.{digits}f}%"


def ci(stats: dict[str, Any] | None) -> str:
    if not stats:
        return "–"
    return (
        f'{stats["rate"]:.1f}% <span class="detail">[{stats["ci_low"]:.0f}–'
        f"{stats['ci_high']:.0f}]</span>"
    )


def tokens(value: int | float) -> str:
    return f"{int(value):,}"


def duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.1f} min"
    return f"{seconds / 3600:.1f} h"


# --- building blocks -----------------------------------------------------------------------


def headline(cells: list[tuple[str, str, str]], per_row: int = 4) -> str:
    """The summary table: (label, value as HTML, detail as HTML), `per_row` to a row."""
    rows = []
    for start in range(0, len(cells), per_row):
        row = cells[start : start + per_row]
        tds = "".join(
            f'<td><div class="label">{esc(label)}</div><div class="value">{value}</div>'
            f'<div class="detail">{detail}</div></td>'
            for label, value, detail in row
        )
        tds += '<td style="visibility:hidden"></td>' * (per_row - len(row)) if rows else ""
        rows.append(f"<tr>{tds}</tr>")
    return f'<table class="headline">{"".join(rows)}</table>'


def facts(pairs: Iterable[tuple[str, Any]]) -> str:
    items = "".join(
        f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>" for k, v in pairs if v not in (None, "", [], {})
    )
    return f'<dl class="facts">{items}</dl>' if items else ""


def table(
    header: list[str],
    rows: list[list[str]],
    total: list[str] | None = None,
    text: Iterable[int] = (),
) -> str:
    """A data table; cells are HTML (escape them first). Numbers are right-aligned, the first
    column and the columns in `text` left-aligned."""
    left = set(text)

    def cells(row: list[str], tag: str = "td") -> str:
        return "".join(
            f'<{tag} class="text">{c}</{tag}>' if i in left else f"<{tag}>{c}</{tag}>"
            for i, c in enumerate(row)
        )

    head = cells([esc(h) for h in header], "th")
    body = "".join(f"<tr>{cells(row)}</tr>" for row in rows)
    if total:
        body += f'<tr class="total">{cells(total)}</tr>'
    return f'<div class="scroll"><table class="data"><tr>{head}</tr>{body}</table></div>'


def figure(uri: str | None, alt: str, caption: str = "") -> str:
    if not uri:
        return ""
    text = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt)}">{text}</figure>'


def section(title: str, *parts: str, note: str = "", anchor: str = "") -> str:
    body = "".join(p for p in parts if p)
    if not body:
        return ""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    intro = f'<p class="note">{note}</p>' if note else ""
    return f"<section{ident}><h2>{esc(title)}</h2>{intro}{body}</section>"


def badge(text: str, kind: str = "") -> str:
    return f'<span class="badge {kind}">{esc(text)}</span>'


def verdict(solved: bool | None) -> str:
    return {True: badge("solved", "ok"), False: badge("not solved", "bad")}.get(
        solved, badge("not judged")
    )


def _red(bad: bool) -> str:
    return ' class="err"' if bad else ""


def _arguments(arguments: Any) -> str:
    return esc(json.dumps(arguments, ensure_ascii=False))


def page(title: str, subtitle: str, sections: list[str], source: str) -> str:
    made = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1><p>{subtitle}</p></header>"
        + "".join(s for s in sections if s)
        + f"<footer>ste {esc(__version__)} · report of {esc(source)} · {made}</footer>"
        "</main></body></html>\n"
    )


# --- trajectories --------------------------------------------------------------------------


def trial_html(trial: dict[str, Any]) -> str:
    """One exploration trial: query, each reply (Thought, Action, Action Input, Observation;
    errors in red), the final answer and the reflection."""
    head = (
        f'<div class="head"><span class="id">{esc(trial.get("id"))}</span>'
        f"{verdict(trial.get('solved'))}"
        + (
            badge(f"{trial['tool_errors']} tool error(s)", "bad")
            if trial.get("tool_errors")
            else ""
        )
        + (
            badge(f"{trial['format_errors']} malformed", "warn")
            if trial.get("format_errors")
            else ""
        )
        + f'<span class="why">{esc(trial.get("why", ""))}</span></div>'
    )
    parts = [f'<div class="query">{clip(trial.get("query") or "(no query imagined)")}</div>']
    for number, step in enumerate(trial.get("steps", []), 1):
        parts.append(step_html(number, step))
    if trial.get("final_answer") is None:
        parts.append(
            f'<div class="line err">stopped without a final answer '
            f"({esc(trial.get('stop_reason', '?'))})</div>"
        )
    reason = trial.get("reflection_reason") or trial.get("reflection") or ""
    if trial.get("solved") is not None or reason:
        word = {True: "Yes", False: "No"}.get(trial.get("solved"), "–")
        if reason[: len(word)].casefold() == word.casefold():
            reason = reason[len(word) :].lstrip(" ,.:;-")  # "Yes, because ..." -> "because ..."
        colour = {True: "good", False: "bad"}.get(trial.get("solved"), "")
        parts.append(
            f'<div class="reflection"><span class="k">Reflection:</span> '
            f'<b class="{colour}">{word}</b> {clip(reason, 600)}</div>'
        )
    usage = trial.get("usage") or {}
    parts.append(
        f'<div class="line more">{trial.get("calls", 0)} tool call(s) · '
        f"{usage.get('calls', 0)} model request(s) · "
        f"{tokens(usage.get('prompt_tokens', 0))} prompt + "
        f"{tokens(usage.get('completion_tokens', 0))} completion tokens · "
        f"{duration(trial.get('seconds', 0))}</div>"
    )
    return f'<div class="traj">{head}<div class="body">{"".join(parts)}</div></div>'


def step_html(number: int, step: dict[str, Any]) -> str:
    lines = []
    failed = bool(step.get("parse_error")) or step.get("tool_ok") is False
    if step.get("thought") and not step.get("parse_error"):
        lines.append(
            '<div class="line"><span class="k thought">Thought:</span>'
            f"{clip(step['thought'])}</div>"
        )
    call = step.get("call")
    if call:
        lines.append(
            f'<div class="line"><span class="k action">Action:</span>{esc(call.get("name"))}</div>'
            f'<div class="line"><span class="k action">Action Input:</span></div>'
            f"<pre>{_arguments(call.get('arguments'))}</pre>"
        )
    if step.get("parse_error"):
        lines.append(
            '<div class="line err"><span class="k">Not understood:</span></div>'
            f'<pre class="err">{clip((step.get("raw") or "").strip(), 600)}</pre>'
            '<div class="line err"><span class="k">Feedback:</span>'
            f"{clip(step['parse_error'])}</div>"
        )
    elif step.get("observation") is not None:
        bad = step.get("tool_ok") is False
        kind = f" ({esc(step['error_kind'])})" if bad and step.get("error_kind") else ""
        label = f'<span class="k{"" if bad else " obs"}">Observation{kind}:</span>'
        lines.append(
            f'<div class="line{" err" if bad else ""}">{label}</div>'
            f"<pre{_red(bad)}>"
            f"{clip(step['observation'], OBSERVATION_CHARS)}</pre>"
        )
    if step.get("final_answer") is not None:
        lines.append(
            f'<div class="line"><span class="k final">Final Answer:</span>'
            f"{clip(step['final_answer'])}</div>"
        )
    if not lines:
        lines.append(f'<pre class="err">{clip(step.get("raw") or "(empty reply)", 600)}</pre>')
    return (
        f'<div class="turn{" failed" if failed else ""}"><div class="n">reply {number}</div>'
        + "".join(lines)
        + "</div>"
    )


def example_html(example: dict[str, Any]) -> str:
    """One distilled example: query, its calls with their observations, the answer."""
    origin = (
        f"paraphrase of {example['paraphrase_of']}"
        if example.get("paraphrase_of")
        else f"from trial {example.get('source_trial', '?')}"
    )
    head = (
        f'<div class="head"><span class="id">{esc(example.get("id"))}</span>'
        + badge(example.get("split", "train"))
        + (badge("recovered", "warn") if example.get("recovered") else "")
        + f'<span class="why">{esc(example.get("why", ""))} · {esc(origin)}</span></div>'
    )
    parts = [f'<div class="query">{clip(example.get("query"))}</div>']
    for number, turn in enumerate(example.get("turns", []), 1):
        bad = turn.get("ok") is False
        parts.append(
            f'<div class="turn{" failed" if bad else ""}"><div class="n">call {number}</div>'
            f'<div class="line"><span class="k action">Action:</span>{esc(turn.get("name"))}</div>'
            f"<pre>{_arguments(turn.get('arguments'))}</pre>"
            f'<div class="line{" err" if bad else ""}">'
            f'<span class="k{"" if bad else " obs"}">Observation:</span></div>'
            f"<pre{_red(bad)}>"
            f"{clip(turn.get('observation'), OBSERVATION_CHARS)}</pre></div>"
        )
    parts.append(
        f'<div class="line"><span class="k final">Final Answer:</span>'
        f"{clip(example.get('final_answer'))}</div>"
    )
    return f'<div class="traj">{head}<div class="body">{"".join(parts)}</div></div>'


def item_html(item: dict[str, Any]) -> str:
    """One eval item: query, expected call(s), the model's reply, the verdicts."""
    from ste.report.collect import outcome

    ended = outcome(item)
    head = (
        f'<div class="head"><span class="id">{esc(item.get("id"))}</span>'
        + badge(ended, "ok" if ended == "correct" else "bad")
        + f'<span class="why">{esc(item.get("tool", ""))}</span></div>'
    )
    parts = [f'<div class="query">{clip(item.get("query"))}</div>']
    for call in item.get("expected", []):
        parts.append(
            f'<div class="line"><span class="k expected">Expected:</span>{esc(call.get("name"))}'
            f"</div><pre>{_arguments(call.get('arguments'))}</pre>"
        )
    bad = ended != "correct"
    parts.append(
        f'<div class="turn{" failed" if bad else ""}"><div class="n">the model replied</div>'
        f"<pre{_red(not item.get('well_formed'))}>"
        f"{clip((item.get('raw') or '(no reply)').strip(), OBSERVATION_CHARS)}</pre></div>"
    )
    reasons = [
        item.get(key)
        for key in ("reason", "correct_reason", "exec_reason")
        if item.get(key) and item.get(key) != "ok"
    ]
    if reasons:
        parts.append(
            f'<div class="line{" err" if bad else ""}"><span class="k">Why:</span>'
            f"{clip('; '.join(reasons), 600)}</div>"
        )
    return f'<div class="traj">{head}<div class="body">{"".join(parts)}</div></div>'


# --- the pages -----------------------------------------------------------------------------


def exploration_sections(data: dict[str, Any], name: str = "") -> list[str]:
    """Learning curve, per-tool bars and table, tokens, example trials."""
    summary = data["summary"]
    overall = summary["overall"]
    where = f" ({name})" if name else ""
    if not overall["trials"]:
        return [section(f"Exploration{where}", '<p class="note">No trial has finished yet.</p>')]
    tool_rows = [
        [
            esc(tool),
            str(s["trials"]),
            pct(s["solved_pct"]),
            pct(s["tool_error_pct"]),
            pct(s["call_succeeded_pct"]),
            str(s["calls"]),
            str(s["format_errors"]),
            str(s["distinct_queries"]),
            tokens(s["usage"]["prompt_tokens"] + s["usage"]["completion_tokens"]),
        ]
        for tool, s in sorted(summary["tools"].items())
    ]
    total = [
        "overall",
        str(overall["trials"]),
        pct(overall["solved_pct"]),
        pct(overall["tool_error_pct"]),
        pct(overall["call_succeeded_pct"]),
        str(overall["calls"]),
        str(overall["format_errors"]),
        str(overall["distinct_queries"]),
        tokens(overall["usage"]["prompt_tokens"] + overall["usage"]["completion_tokens"]),
    ]
    header = [
        "tool",
        "trials",
        "solved",
        "tool errors",
        "a call succeeded",
        "calls",
        "malformed",
        "distinct queries",
        "tokens",
    ]
    spent = summary["ledger"].get("all", {})
    token_note = (
        f"{tokens(spent.get('calls', 0))} model requests "
        f"({tokens(spent.get('cached', 0))} from the cache), "
        f"{tokens(spent.get('prompt_tokens', 0))} prompt tokens sent "
        f"({tokens(spent.get('evaluated_prompt_tokens', 0))} evaluated), "
        f"{tokens(spent.get('completion_tokens', 0))} completion tokens."
    )
    return [
        section(
            f"Learning curve{where}",
            figure(
                plots.learning_curve(summary),
                "solved and tool-error rates by trial index and by episode",
                "Solved: share of judged trials the model said it fulfilled. Tool-error rate: "
                "share of tool calls that failed. Numbers are percentages.",
            ),
            note="Does the model get better at the tools as it practises, within an episode "
            "(one conversation) and from episode to episode (long-term memory)?",
            anchor="learning",
        ),
        section(
            f"Per tool{where}",
            figure(plots.tool_bars(summary), "solved and tool-error rate per tool"),
            table(header, tool_rows, total),
            anchor="tools",
        ),
        section(
            f"Tokens{where}",
            figure(
                plots.tokens_over_time(data["tokens"]),
                "cumulative tokens",
                "Cumulative over the run's model requests (usage.jsonl).",
            ),
            note=esc(token_note),
            anchor="tokens",
        ),
        section(
            f"Example trials{where}",
            *(trial_html(t) for t in data["trials_shown"]),
            note="A few trials as the model lived them. Model-written text is shown as is; "
            "errors are in red.",
            anchor="trials",
        ),
    ]


def exploration_page(data: dict[str, Any]) -> str:
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
        ("solved", pct(overall["solved_pct"]), f"{overall['solved']} trials said yes"),
        (
            "tool errors",
            pct(overall["tool_error_pct"]),
            f"{overall['tool_errors']} of {overall['calls']} calls",
        ),
        ("a call succeeded", pct(overall["call_succeeded_pct"]), "share of trials"),
        ("malformed replies", f"{overall['format_errors']:,}", "corrected by feedback"),
        ("distinct queries", f"{overall['distinct_queries']:,}", "imagined by the model"),
        (
            "tokens",
            tokens(spent.get("prompt_tokens", 0) + spent.get("completion_tokens", 0)),
            f"{tokens(spent.get('calls', 0))} model requests",
        ),
        ("model time", duration(overall["seconds"]), "summed over trials"),
    ]
    top = section(
        "Summary",
        headline(cells),
        facts(
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
            ]
        ),
    )
    title = f"Exploration: {manifest.get('model', '?')} practising {len(tools)} tool(s)"
    subtitle = esc(data["path"])
    return page(title, subtitle, [top, *exploration_sections(data)], data["path"])


def dataset_sections(data: dict[str, Any], name: str = "") -> list[str]:
    summary = data["summary"]
    where = f" ({name})" if name else ""
    rows = []
    for tool, row in sorted(summary.get("tools", {}).items()):
        rejected = ", ".join(
            f"{k.replace('_', ' ')} {v}" for k, v in row.get("rejected", {}).items()
        )
        rows.append(
            [
                esc(tool),
                str(row.get("explored", 0)),
                str(row.get("kept", 0)),
                esc(rejected) or "–",
                f"{row.get('paraphrases_accepted', 0)} / "
                f"{row.get('paraphrases_accepted', 0) + row.get('paraphrases_rejected', 0)}",
                str(row.get("examples", 0)),
                str(row.get("recovered", 0)),
            ]
        )
    header = [
        "tool",
        "explored",
        "kept",
        "rejected",
        "paraphrases accepted",
        "examples",
        "recovered",
    ]
    rejected_rows = [
        [
            esc(d["id"]),
            esc(str(d.get("rejected_by", "")).replace("_", " ")),
            clip(d.get("reason", ""), 300),
        ]
        for d in data["rejected_shown"]
    ]
    return [
        section(
            f"Distillation funnel{where}",
            figure(
                plots.funnel(data["funnel"], data["rejections"]),
                "distillation funnel and rejection reasons",
                "Trials pass rule checks (finished, a call succeeded, valid arguments, the "
                "model's own reflection), then the judge, then near-duplicate removal; kept "
                "trials are paraphrased into more examples.",
            ),
            anchor="funnel",
        ),
        section(
            f"Per tool{where}",
            figure(plots.dataset_tools(summary), "kept and rejected trials and examples per tool"),
            table(header, rows, text=[3]),
            anchor="dataset-tools",
        ),
        section(
            f"Rejected trials{where}",
            table(["trial", "rejected by", "reason"], rejected_rows, text=[1, 2])
            if rejected_rows
            else "",
            note="The first few rejected trials and why.",
        ),
        section(
            f"Example training examples{where}",
            *(example_html(e) for e in data["examples_shown"]),
            anchor="examples",
        ),
    ]


def dataset_page(data: dict[str, Any]) -> str:
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
        ("kept", f"{summary.get('kept', 0):,}", f"{pct(summary.get('acceptance_pct'))} accepted"),
        (
            "examples",
            f"{summary.get('examples', 0):,}",
            ", ".join(f"{n} {split}" for split, n in data["splits"].items()),
        ),
        ("paraphrases", f"{accepted:,}", f"accepted of {tried:,} tried"),
    ]
    settings = manifest.get("settings", {})
    top = section(
        "Summary",
        headline(cells),
        facts(
            [
                ("explored by", manifest.get("explored_by")),
                ("exploration run", manifest.get("run")),
                ("judge", manifest.get("judge") if settings.get("judge", True) else "off"),
                ("paraphraser", manifest.get("paraphraser")),
                ("near-duplicates", summary.get("dedup")),
                ("exports", ", ".join(summary.get("exports", {}))),
            ]
        ),
    )
    title = f"Dataset: {summary.get('examples', 0)} examples distilled from exploration"
    return page(title, esc(data["path"]), [top, *dataset_sections(data)], data["path"])


METRICS_SHOWN = ("well_formed", "api_match", "correct", "lenient_correct", "exec_equivalent")


def _metrics(stats: dict[str, Any]) -> list[str]:
    return [m for m in (*METRICS_SHOWN, "answer_correct") if isinstance(stats.get(m), dict)]


def eval_page(data: dict[str, Any]) -> str:
    summary = data["summary"]
    overall = summary["overall"]
    manifest = data["manifest"]
    metrics = _metrics(overall)
    cells = [("test items", f"{overall.get('n', 0):,}", f"{len(summary['per_tool'])} tools")]
    for metric in metrics:
        stats = overall[metric]
        cells.append(
            (
                plots.METRIC_LABELS[metric],
                pct(stats["rate"]),
                f"{stats['successes']} of {stats['n']} · 95% CI "
                f"{stats['ci_low']:.0f}–{stats['ci_high']:.0f}",
            )
        )
    cells.append(
        (
            "tokens",
            tokens(overall.get("prompt_tokens", 0) + overall.get("completion_tokens", 0)),
            f"model time {duration(overall.get('model_seconds', 0))}",
        )
    )
    top = section(
        "Summary",
        headline(cells),
        facts(
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
            ]
        ),
    )
    per_tool_rows = [
        [esc(tool), str(stats.get("n", 0)), *(ci(stats.get(m)) for m in metrics)]
        for tool, stats in summary["per_tool"].items()
    ]
    total = ["overall", str(overall.get("n", 0)), *(ci(overall.get(m)) for m in metrics)]
    sections = [
        top,
        section(
            "Scores",
            figure(plots.metric_bars(overall), "scores with confidence intervals"),
            anchor="scores",
        ),
        section(
            "Per tool",
            figure(
                plots.eval_outcomes(data["outcomes"]),
                "how each item ended, per tool",
                "Correct: the right tool with the right arguments. Wrong arguments: the right "
                "tool. Wrong tool: a well-formed call of another tool. No call: no parseable "
                "call.",
            ),
            figure(
                plots.per_tool_scores({"correct": summary["per_tool"]})
                if not data["outcomes"]
                else None,
                "correct per tool",
            ),
            table(["tool", "n", *(plots.METRIC_LABELS[m] for m in metrics)], per_tool_rows, total),
            note="Percentages with 95% Wilson intervals in brackets.",
            anchor="per-tool",
        ),
        section(
            "Example items",
            *(item_html(i) for i in data["items_shown"]),
            anchor="items",
        ),
    ]
    title = f"Eval: {manifest.get('model', '?')} on {len(summary['per_tool'])} tools"
    return page(title, esc(data["path"]), sections, data["path"])


def experiment_page(data: dict[str, Any]) -> str:
    results = data["results"]
    conditions = results.get("conditions", {})
    paired = data["paired"]
    base_name = next((n for n, c in conditions.items() if c.get("folder") == "baseline"), None)
    baseline = conditions.get(base_name) if base_name else None
    others = [n for n in conditions if n != base_name]
    base_rate = baseline["overall"]["correct"]["rate"] if baseline else None
    cells: list[tuple[str, str, str]] = []
    if baseline:
        stats = baseline["overall"]["correct"]
        cells.append(
            ("baseline correct", pct(stats["rate"]), f"{stats['successes']} of {stats['n']}")
        )
    for name in others[:3]:
        stats = conditions[name]["overall"].get("correct")
        if not stats:
            continue
        delta = ""
        if base_rate is not None:
            change = stats["rate"] - base_rate
            colour = "good" if change > 0 else "bad" if change < 0 else ""
            delta = f'<span class="{colour}">{change:+.1f} points</span> vs baseline'
        cells.append((f"{name}: correct", pct(stats["rate"]), delta))
    stages = results.get("stages", {})
    spent = sum(s.get("prompt_tokens", 0) + s.get("completion_tokens", 0) for s in stages.values())
    cells.append(
        (
            "cost",
            duration(sum(s.get("seconds", 0) for s in stages.values())),
            f"{tokens(spent)} tokens, {len(stages)} stages",
        )
    )
    metrics = [m for m in ("well_formed", "api_match", "correct", "exec_equivalent")]
    rows = []
    for name, condition in conditions.items():
        overall = condition.get("overall", {})
        test = paired.get(name)
        change = ""
        if base_rate is not None and name != base_name and overall.get("correct"):
            change = f"{overall['correct']['rate'] - base_rate:+.1f}"
        rows.append(
            [
                esc(name),
                str(overall.get("n", 0)),
                *(ci(overall.get(m)) for m in metrics),
                change,
                f"+{test['won']} / −{test['lost']}, p = {test['p']:.3g}" if test else "",
            ]
        )
    settings = results.get("settings", {})
    top = section(
        "Summary",
        headline(cells),
        table(
            [
                "condition",
                "n",
                *(plots.METRIC_LABELS[m] for m in metrics),
                "Δ correct",
                "vs baseline (McNemar)",
            ],
            rows,
        ),
        facts(
            [
                ("bench", results.get("bench")),
                ("model", results.get("model")),
                ("judge", settings.get("judge") or results.get("model")),
                ("protocol", settings.get("protocol")),
                ("ablations", ", ".join(settings.get("ablations") or [])),
                *((k, v) for k, v in (results.get("budget") or {}).items()),
            ]
        ),
        note="First-call scores, % with 95% Wilson intervals. The McNemar column counts test "
        "items a condition got right that the baseline got wrong (+) and the reverse (−).",
    )
    # baseline first: the plots draw it grey
    per_condition = {
        ("baseline" if n == base_name else n): c.get("per_tool", {})
        for n, c in sorted(conditions.items(), key=lambda item: item[0] != base_name)
    }
    by_label = {
        ("baseline" if n == base_name else n): c
        for n, c in sorted(conditions.items(), key=lambda item: item[0] != base_name)
    }
    parts = data["parts"]
    explorations = {
        name: part["summary"] for name, part in parts.items() if part["kind"] == "exploration"
    }
    sections = [
        top,
        section(
            "Conditions",
            figure(plots.condition_bars(by_label), "correct per condition"),
            note="The dotted line is the baseline; the best condition is green.",
            anchor="conditions",
        ),
        section(
            "Per tool: before and after",
            figure(plots.per_tool_scores(per_condition), "correct per tool per condition"),
            anchor="per-tool",
        )
        if others
        else section(
            "Per tool",
            figure(plots.per_tool_scores(per_condition), "correct per tool"),
            anchor="per-tool",
        ),
        section(
            "Explorations compared",
            figure(plots.exploration_curves(explorations), "solved by trial index, per run"),
            note="Solved % of each exploration run: the full method and its ablations.",
        ),
        section(
            "Cost",
            figure(plots.stage_costs(stages), "time and tokens per stage"),
            table(
                ["stage", "time", "model requests", "prompt tokens", "completion tokens"],
                [
                    [
                        esc(name),
                        duration(cost.get("seconds", 0)),
                        tokens(cost.get("calls", 0)),
                        tokens(cost.get("prompt_tokens", 0)),
                        tokens(cost.get("completion_tokens", 0)),
                    ]
                    for name, cost in stages.items()
                ],
            )
            if stages
            else "",
            anchor="cost",
        ),
    ]
    if "explore" in parts:
        sections += exploration_sections(parts["explore"], "explore/")
    if "dataset" in parts:
        sections += dataset_sections(parts["dataset"], "dataset/")[:2]
    title = f"STE on {results.get('bench', '?')} with {results.get('model', '?')}"
    subtitle = esc(data["path"]) + f" · {len(conditions)} condition(s)"
    return page(title, subtitle, sections, data["path"])


PAGES = {
    "exploration": exploration_page,
    "dataset": dataset_page,
    "eval": eval_page,
    "experiment": experiment_page,
}


def render(data: dict[str, Any]) -> str:
    return PAGES[data["kind"]](data)
