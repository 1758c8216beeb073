"""The report as one self-contained HTML page: an inline stylesheet, plots as PNG data URIs,
no script and no external resource (a Content-Security-Policy says so too).

`render` picks the page of the directory's kind; the pages are in `ste.report.pages`, the
pieces they are built from in `ste.report.components`. Every string that comes from a run
(queries, replies, observations, reasons, tool names) is written by a model or a user and
goes through `esc` (html.escape).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ste.report.pages.dataset import dataset_page
from ste.report.pages.eval import eval_page
from ste.report.pages.experiment import experiment_page
from ste.report.pages.exploration import exploration_page

PAGES: dict[str, Callable[[dict[str, Any]], str]] = {
    "exploration": exploration_page,
    "dataset": dataset_page,
    "eval": eval_page,
    "experiment": experiment_page,
}


def render(data: dict[str, Any]) -> str:
    """The HTML page of what `collect` read from a directory."""
    return PAGES[data["kind"]](data)
