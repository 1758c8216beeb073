"""The `ste` command line."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from typer.core import TyperOption

from ste import __version__
from ste.errors import SteError
from ste.models.retry import RequestFailed


def _flag_without_type(self: Any, ctx: Any) -> str | None:
    """Help shows `--json` and `--ltm/--no-ltm` without a `<bool>` hint: a flag takes no value."""
    return None if self.is_flag else _display_type(self, ctx)


_display_type = TyperOption.display_type_rich
TyperOption.display_type_rich = _flag_without_type  # type: ignore[method-assign]

app = typer.Typer(
    name="ste",
    help="Make language models use tools accurately by Simulated Trial and Error.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
console = Console()
errors = Console(stderr=True)

F = TypeVar("F", bound=Callable[..., Any])
ModelOption = Annotated[
    str,
    typer.Option(
        "--model",
        "-m",
        help="Registry name (see `ste models`), a path to a .gguf file, or openai:MODEL.",
    ),
]


TemperatureOption = Annotated[
    float | None,
    typer.Option(min=0.0, max=2.0, help="Sampling temperature, 0 to 2."),
]
ToolTimeoutOption = Annotated[
    float | None,
    typer.Option(min=0.001, max=86400.0, help="Seconds a tool call may take (default: 30)."),
]
ToolsArgument = Annotated[
    str | None,
    typer.Argument(
        help="A .py file or module, an MCP config (.json), an OpenAPI document (.json, .yaml, "
        "URL), or a folder holding one (default: the bundled tools).",
        show_default=False,
    ),
]
AllowSideEffectsOption = Annotated[
    str | None,
    typer.Option(
        help="Run tools that are not read-only: 'all' or names (comma-separated); the others "
        "are validated and not run (default: none).",
    ),
]
ResetOption = Annotated[
    str | None,
    typer.Option(
        help="A command run before each episode / test item (e.g. restoring a fixture), so "
        "allowed side effects touch nothing that matters.",
    ),
]
BaseUrlOption = Annotated[
    str | None,
    typer.Option(help="Base URL of an OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)."),
]
RequestTimeoutOption = Annotated[
    float,
    typer.Option(min=0.001, max=86400.0, help="Seconds one request to an endpoint may take."),
]
RetriesOption = Annotated[
    int, typer.Option(min=0, max=100, help="Retries of a failed request to an endpoint.")
]
GiveUpAfterOption = Annotated[
    int,
    typer.Option(min=1, help="Failed requests in a row after which the run stops (resumable)."),
]


def _finite_numbers(options: dict[str, Any]) -> None:
    """Refuse nan and inf for every number option (click's ranges let nan through)."""
    for name, value in options.items():
        if isinstance(value, float) and not math.isfinite(value):
            option = "--" + name.replace("_", "-")
            raise SteError(f"{option}: {value} is not a number ste accepts (give a finite one)")


def user_errors(command: F) -> F:
    """Turn an SteError (or a model request that failed on every retry) into one clear line
    on stderr and exit code 2; number options that are nan or inf are such an error."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            _finite_numbers(kwargs)
            return command(*args, **kwargs)
        except (SteError, RequestFailed) as error:
            from ste.display import print_error

            print_error(errors, str(error))
            raise typer.Exit(2) from None
        except KeyboardInterrupt:
            errors.print("interrupted")
            raise typer.Exit(130) from None

    return wrapper  # type: ignore[return-value]


def _version(value: bool) -> None:
    if value:
        console.print(f"ste {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
    threads: Annotated[
        int | None,
        typer.Option(
            "--threads",
            min=1,
            help="llama.cpp threads for embedded models (default: one per core, one fewer "
            "while other processes keep the machine busy); also $STE_THREADS.",
        ),
    ] = None,
) -> None:
    """Make language models use tools accurately by Simulated Trial and Error."""
    if threads is not None:  # one setting for every model this command loads
        import os

        os.environ["STE_THREADS"] = str(threads)
