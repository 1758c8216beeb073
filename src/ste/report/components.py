"""The HTML pieces every report page is built from: escaping and number formats, the summary
table, tables, figures, sections, badges, the parts of a trajectory card, and the page itself
with its inline stylesheet (style.css) and Content-Security-Policy.

Every string that comes from a run (queries, replies, observations, reasons, tool names) is
written by a model or a user and goes through `esc` (html.escape) or `clip`.
"""

from __future__ import annotations

import datetime
import html
import json
from collections.abc import Iterable
from functools import cache
from importlib import resources
from typing import Any

from ste import __version__

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
OBSERVATION_CHARS = 1200
TEXT_CHARS = 1500


@cache
def stylesheet() -> str:
    """The page's CSS, read once from style.css beside this module."""
    return (resources.files("ste.report") / "style.css").read_text(encoding="utf-8")


# --- text and numbers ----------------------------------------------------------------------


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
    rows: list[str] = []
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
    """A definition list of (name, value), leaving out the empty values."""
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
    """A plot (a data URI) with its caption; nothing when there is no plot."""
    if not uri:
        return ""
    text = f"<figcaption>{caption}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt)}">{text}</figure>'


def section(title: str, *parts: str, note: str = "", anchor: str = "") -> str:
    """A titled section of the parts (HTML) that are not empty; nothing when all are."""
    body = "".join(p for p in parts if p)
    if not body:
        return ""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    intro = f'<p class="note">{note}</p>' if note else ""
    return f"<section{ident}><h2>{esc(title)}</h2>{intro}{body}</section>"


def summary(
    cells: list[tuple[str, str, str]], pairs: Iterable[tuple[str, Any]], *more: str, note: str = ""
) -> str:
    """The Summary section that opens a page: the headline `cells`, any `more` parts (HTML),
    then the `pairs` as facts."""
    return section("Summary", headline(cells), *more, facts(pairs), note=note)


def badge(text: str, kind: str = "") -> str:
    return f'<span class="badge {kind}">{esc(text)}</span>'


def verdict(solved: bool | None) -> str:
    return {True: badge("solved", "ok"), False: badge("not solved", "bad")}.get(
        solved, badge("not judged")
    )


# --- trajectory cards ----------------------------------------------------------------------


def card(ident: Any, badges: str, why: str, parts: list[str]) -> str:
    """A trajectory card: a head (id, badges, `why` as HTML), then the parts (HTML)."""
    head = (
        f'<div class="head"><span class="id">{esc(ident)}</span>'
        + badges
        + f'<span class="why">{why}</span></div>'
    )
    return f'<div class="traj">{head}<div class="body">{"".join(parts)}</div></div>'


def query(text: Any) -> str:
    """The user's query that starts a card."""
    return f'<div class="query">{clip(text)}</div>'


def labelled(label: str, body: str = "", kind: str = "", err: bool = False) -> str:
    """One line of a card: `label:` (coloured by `kind`, a CSS class), then `body` (HTML)."""
    colour = f" {kind}" if kind else ""
    return (
        f'<div class="line{" err" if err else ""}">'
        f'<span class="k{colour}">{label}:</span>{body}</div>'
    )


def block(text: str, err: bool = False) -> str:
    """Preformatted text (HTML), red when `err`."""
    attribute = ' class="err"' if err else ""
    return f"<pre{attribute}>{text}</pre>"


def arguments(value: Any) -> str:
    """A call's arguments as escaped JSON."""
    return block(esc(json.dumps(value, ensure_ascii=False)))


def observation(text: Any, failed: bool, kind: str = "") -> str:
    """An observation line and its text; red when the call `failed` (`kind` says how, as HTML)."""
    return labelled(f"Observation{kind}", kind="" if failed else "obs", err=failed) + block(
        clip(text, OBSERVATION_CHARS), failed
    )


def final_answer(text: Any) -> str:
    return labelled("Final Answer", clip(text), "final")


def turn(title: str, parts: list[str], failed: bool) -> str:
    """A turn of a card (a reply, a call): its title, then its parts (HTML)."""
    return (
        f'<div class="turn{" failed" if failed else ""}"><div class="n">{title}</div>'
        + "".join(parts)
        + "</div>"
    )


# --- the page ------------------------------------------------------------------------------


def page(title: str, subtitle: str, sections: list[str], source: str) -> str:
    """The whole self-contained page: inline stylesheet, the sections, a footer."""
    made = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{esc(title)}</title><style>\n{stylesheet()}</style></head><body><main>"
        f"<header><h1>{esc(title)}</h1><p>{subtitle}</p></header>"
        + "".join(s for s in sections if s)
        + f"<footer>ste {esc(__version__)} · report of {esc(source)} · {made}</footer>"
        "</main></body></html>\n"
    )
