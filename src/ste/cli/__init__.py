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
    "experimenting",
    "reporting",
)
for _module in PIPELINE_ORDER:
    import_module(f"ste.cli.{_module}")

__all__ = ["app"]
