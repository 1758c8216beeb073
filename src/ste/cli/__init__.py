"""The `ste` command line: one module per group of commands, all on one Typer app."""

from ste.cli import (  # noqa: F401  (importing registers the commands)
    basics,
    distillation,
    evaluate,
    experimenting,
    exploration,
    reporting,
    serving,
    training,
)
from ste.cli.app import app

__all__ = ["app"]
