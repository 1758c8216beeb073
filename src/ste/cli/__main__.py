"""`python -m ste.cli`: the same as the `ste` command."""

from ste.cli import app

app()
