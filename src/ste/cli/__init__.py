"""The `ste` command line: one module per group of commands, all on one Typer app."""

from ste.cli import basics, evaluate  # noqa: F401  (importing registers the commands)
from ste.cli.app import app

__all__ = ["app"]
