"""What the commands share beyond the app: loading a model with a progress bar, settings
from a command's parameters, positional toolbox arguments, progress bars for long jobs."""

from __future__ import annotations

import dataclasses
from typing import Any, TypeVar

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn

from ste.cli.app import errors
from ste.errors import SteError
from ste.models.endpoint import Endpoint

S = TypeVar("S")


def settings_from(cls: type[S], parameters: dict[str, Any], **overrides: Any) -> S:
    """A stage's settings object from the command's parameters of the same names.

    Each option is named as the settings field it sets, so a command passes its
    parameters (`locals()`) and names only the fields whose value it converts.
    """
    names = {field.name for field in dataclasses.fields(cls)}  # type: ignore[arg-type]
    chosen = {name: value for name, value in parameters.items() if name in names}
    return cls(**{**chosen, **overrides})


def endpoint_from(
    base_url: str | None, request_timeout: float, retries: int, give_up_after: int
) -> Endpoint:
    """Where an `openai:` model is served and how patient its requests are."""
    from ste.models.retry import RequestPolicy

    policy = RequestPolicy(timeout=request_timeout, retries=retries, give_up_after=give_up_after)
    return Endpoint(base_url, policy)


def load_model_with_progress(spec: str, endpoint: Endpoint) -> Any:
    """Resolve a model; assembling an embedded model's file for the first time shows a bar."""
    from ste.models import REGISTRY, load_model
    from ste.models.registry import is_installed, model_path, verified_path

    # a bar only when there is work: joining and checking the parts the first time
    if spec in REGISTRY and is_installed(REGISTRY[spec]) and verified_path(spec) is None:
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
    return load_model(spec, base_url=endpoint.base_url, policy=endpoint.policy)


def split_toolbox(arguments: list[str], last: str) -> tuple[str | None, str]:
    """`[TOOLS] X` positionals: an optional toolbox, then X."""
    if len(arguments) > 2:
        raise SteError(f"expected [TOOLS] {last}, got {len(arguments)} arguments; quote the query")
    return (None, arguments[0]) if len(arguments) == 1 else (arguments[0], arguments[1])


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


def check_side_effects(tools: list[Any], allow: str | None, reset: str | None = None) -> None:
    """`--allow-side-effects` and `--reset` checked before a model loads (one line each for a
    tool name the toolbox lacks or a command that cannot be read), then `say_held_back`."""
    from ste.tools.effects import SideEffectPolicy
    from ste.tools.reset import check_reset

    SideEffectPolicy.parse(allow).check_names(tools)
    if reset:
        check_reset(reset)
    say_held_back(tools, allow)


def say_held_back(tools: list[Any], allow: str | None) -> None:
    """One line naming the tools whose calls are validated and not run."""
    from ste.tools.effects import SideEffectPolicy, held_back

    names = held_back(tools, SideEffectPolicy.parse(allow))
    if names:
        errors.print(
            f"not run (they may change things; allow with --allow-side-effects): "
            f"{', '.join(names)}",
            highlight=False,
        )
