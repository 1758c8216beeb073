"""The `ste` command line."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from ste import __version__
from ste.errors import SteError

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
BaseUrlOption = Annotated[
    str | None,
    typer.Option(help="Base URL of an OpenAI-compatible endpoint (default: $OPENAI_BASE_URL)."),
]


def user_errors(command: F) -> F:
    """Turn an SteError into one clear line on stderr and exit code 2."""

    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except SteError as error:
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
) -> None:
    """Make language models use tools accurately by Simulated Trial and Error."""


def _load_model_with_progress(spec: str, base_url: str | None) -> Any:
    """Resolve a model; assembling an embedded model's file for the first time shows a bar."""
    from ste.models import REGISTRY, load_model
    from ste.models.registry import is_installed, model_path

    if spec in REGISTRY and is_installed(REGISTRY[spec]):
        with Progress(
            TextColumn(f"assembling {spec}"),
            BarColumn(),
            DownloadColumn(),
            console=errors,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=None)
            model_path(
                spec,
                progress=lambda done, total: progress.update(task, completed=done, total=total),
            )
    return load_model(spec, base_url=base_url)


def _split_toolbox(arguments: list[str], last: str) -> tuple[str | None, str]:
    """`[TOOLS] X` positionals: an optional toolbox, then X."""
    if len(arguments) > 2:
        raise SteError(f"expected [TOOLS] {last}, got {len(arguments)} arguments; quote the query")
    return (None, arguments[0]) if len(arguments) == 1 else (arguments[0], arguments[1])


def _check_protocol(protocol: str) -> None:
    if protocol not in ("react", "native"):
        raise SteError(f"--protocol must be react or native, got {protocol!r}")


def item_progress(label: str) -> Progress:
    """A progress bar on stderr for long jobs: count, elapsed and remaining time."""
    from rich.progress import MofNCompleteColumn, TimeElapsedColumn, TimeRemainingColumn

    return Progress(
        TextColumn(f"[bold]{label}[/bold] {{task.description}}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
    )
