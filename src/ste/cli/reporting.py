"""`ste report`: a self-contained HTML page of a run, a dataset, eval results or an
experiment."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ste.cli.app import app, console, user_errors


@app.command()
@user_errors
def report(
    directory: Annotated[
        Path,
        typer.Argument(
            help="A directory of `ste explore`, `ste distill`, `ste eval` or `ste experiment`."
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "-o", help="The HTML file to write (default: DIRECTORY/report.html)."
        ),
    ] = None,
) -> None:
    """Write one self-contained HTML page of a run, dataset, eval or experiment directory.

    Learning curves, tokens, scores with intervals, the distillation funnel, example
    trajectories; plots embedded, nothing fetched from elsewhere.
    """
    from ste.report import write_report

    kind, path = write_report(directory, out)
    size = path.stat().st_size
    console.print(f"{kind} report -> {path} ({size / 1024:,.0f} KiB)", highlight=False)
