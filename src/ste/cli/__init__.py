"""The `ste` command line: one module per group of commands, all on one Typer app.

The modules are imported (which registers their commands) in the order of the method, so
`ste --help` lists the commands as a user meets them: run and inspect, explore, distill,
serve, train, evaluate, experiment, report.
"""

from importlib import import_module

from ste.cli.app import app

PIPELINE_ORDER = (
    "basics",
    "exploration",
    "distillation",
    "serving",
    "mcp_serving",
    "training",
    "evaluate",
    "comparing",
    "experimenting",
    "reporting",
)
for _module in PIPELINE_ORDER:
    import_module(f"ste.cli.{_module}")


def _paragraphs_on_one_line(doc: str) -> str:
    """A docstring as help: each paragraph one line (the terminal wraps it), so no line
    breaks in mid-sentence at widths other than the source's."""
    import inspect

    paragraphs = inspect.cleandoc(doc).split("\n\n")
    return "\n\n".join(" ".join(p.split()) for p in paragraphs)


for _command in app.registered_commands:
    if _command.help is None and _command.callback is not None and _command.callback.__doc__:
        _command.help = _paragraphs_on_one_line(_command.callback.__doc__)

__all__ = ["app"]
