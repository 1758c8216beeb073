"""The `ste` command line: one module per group of commands, all on one Typer app."""

from ste.cli import basics, distillation, evaluate, exploration, serving  # noqa: F401
from ste.cli.app import app

__all__ = ["app"]
