"""`ste report`: one self-contained HTML page with plots, tables and example trajectories of
an exploration run, a distilled dataset, eval results or an experiment."""

from __future__ import annotations

from pathlib import Path

from ste.errors import SteError
from ste.report.collect import KINDS, collect, detect

__all__ = ["KINDS", "build_report", "detect", "write_report"]


def build_report(path: Path) -> tuple[str, str]:
    """(kind, HTML page) of a directory ste wrote."""
    data = collect(Path(path))
    try:
        from ste.report.html import render
    except ModuleNotFoundError as error:
        if error.name and error.name.split(".")[0] == "matplotlib":
            raise SteError('ste report needs matplotlib: pip install "ste[report]"') from None
        raise
    return data["kind"], render(data)


def write_report(path: Path, out: Path | None = None) -> tuple[str, Path]:
    """Write the report of `path` to `out` (default: path/report.html); (kind, where)."""
    kind, page = build_report(path)
    out = Path(out) if out is not None else Path(path) / "report.html"
    out.parent.mkdir(parents=True, exist_ok=True)
    temporary = out.with_name(out.name + ".tmp")
    temporary.write_text(page, encoding="utf-8")
    temporary.replace(out)
    return kind, out
