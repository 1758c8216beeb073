"""`ste compare`: two eval results side by side."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ste.cli.app import app, console, user_errors


@app.command()
@user_errors
def compare(
    results_a: Annotated[Path, typer.Argument(help="Results dir of `ste eval` (A).")],
    results_b: Annotated[Path, typer.Argument(help="Results dir of `ste eval` (B).")],
) -> None:
    """Compare two eval results side by side, per tool, with McNemar's test on correctness."""
    from ste.eval.compare import compare_results

    console.print(
        compare_results(results_a, results_b), markup=False, highlight=False, soft_wrap=True
    )
