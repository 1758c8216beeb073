"""`ste experiment`: how much better does STE make a model on a benchmark's tools?"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from ste.cli.app import (
    AllowSideEffectsOption,
    BaseUrlOption,
    GiveUpAfterOption,
    RequestTimeoutOption,
    ResetOption,
    RetriesOption,
    ToolTimeoutOption,
    app,
    console,
    user_errors,
)
from ste.cli.common import endpoint_from, item_progress, load_model_with_progress, say_held_back
from ste.errors import SteError
from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.models.registry import DEFAULT_MODEL


def _bench_files(bench: Path | None) -> tuple[str, Path, str]:
    """(toolbox spec, tests path, name) of a benchmark folder, or of the bundled demo."""
    if bench is None:
        from ste.tools.python_source import BUNDLED_TOOLBOX

        folder = Path(BUNDLED_TOOLBOX).parent
        return str(BUNDLED_TOOLBOX), folder / "tests.jsonl", "the bundled tools"
    from ste.tools.sources import FOLDER_SOURCES, in_folder

    toolbox, tests = in_folder(bench), bench / "tests.jsonl"
    missing = [] if toolbox else [" or ".join(FOLDER_SOURCES)]
    missing += [] if tests.is_file() else ["tests.jsonl"]
    if missing or toolbox is None:
        raise SteError(
            f"{bench}: a benchmark folder holds its tools ({', '.join(FOLDER_SOURCES)}) and "
            f"tests.jsonl (missing {', '.join(missing)}; see the README's test format)"
        )
    return str(toolbox.resolve()), tests, str(bench)


@app.command()
@user_errors
def experiment(
    bench: Annotated[
        Path | None,
        typer.Argument(
            help="A folder with tests.jsonl and its tools: toolbox.py, mcp.json or "
            "openapi.json|yaml (default: the bundled demo)."
        ),
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="Experiment directory.")] = Path(
        "ste-experiment"
    ),
    model: Annotated[str, typer.Option("--model", "-m", help="The model to improve.")] = (
        DEFAULT_MODEL
    ),
    judge: Annotated[
        str | None, typer.Option(help="Judge and paraphraser (default: --model).")
    ] = None,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    tool_timeout: ToolTimeoutOption = None,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
    protocol: Annotated[str, typer.Option(help="react or native.")] = "react",
    episodes: Annotated[int, typer.Option(min=1, help="Exploration episodes per tool.")] = 3,
    trials: Annotated[int, typer.Option(min=1, help="Trials per episode.")] = 3,
    target_per_tool: Annotated[
        int, typer.Option(min=0, help="Examples per tool after paraphrasing.")
    ] = 20,
    max_paraphrases: Annotated[int, typer.Option(min=0)] = 3,
    k: Annotated[int, typer.Option(min=1, help="Demonstrations per test query.")] = DEFAULT_K,
    demo_tokens: Annotated[
        int, typer.Option(min=100, help="Token budget of a query's demonstrations.")
    ] = DEFAULT_TOKEN_BUDGET,
    judge_check: Annotated[
        bool, typer.Option("--judge-check/--no-judge-check", help="LLM judge in distillation.")
    ] = True,
    train: Annotated[bool, typer.Option(help="Also fine-tune and evaluate the result.")] = False,
    train_base: Annotated[
        str | None,
        typer.Option(
            help="Model to fine-tune on the distilled data (default: --model), e.g. a smaller "
            "one learning from a larger one's practice."
        ),
    ] = None,
    train_epochs: Annotated[float, typer.Option(min=0.01, help="Training epochs.")] = 2.0,
    train_steps: Annotated[int | None, typer.Option(min=1, help="Cap training steps.")] = None,
    ablations: Annotated[
        str | None, typer.Option(help="Extra exploration conditions: ltm,stm,reflection,exec.")
    ] = None,
    notes: Annotated[
        bool, typer.Option(help="Also measure tool notes, alone and with demonstrations.")
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N test items.")] = None,
    seed: Annotated[int, typer.Option(help="Fixes every seed of every stage.")] = 0,
    force: Annotated[bool, typer.Option(help="Continue an experiment of other settings.")] = False,
    allow_side_effects: AllowSideEffectsOption = None,
    reset: ResetOption = None,
) -> None:
    """Measure STE's lift: baseline eval, explore, distill, in-context eval (and fine-tune).

    Each stage is resumable; the results table (Markdown + JSON) has confidence intervals
    and each stage's cost.
    """
    from ste.eval.testset import load_tests
    from ste.experiment.pipeline import Experiment, start_experiment
    from ste.experiment.settings import ExperimentSettings
    from ste.tools import load_tools
    from ste.tools.effects import SideEffectPolicy
    from ste.tools.reset import check_reset

    if train:  # before anything imports tqdm: the libraries' own bars stay off
        from ste.train.trainer import quiet_libraries

        quiet_libraries()
    toolbox, tests_path, name = _bench_files(bench)
    chosen = [a.strip() for a in ablations.split(",") if a.strip()] if ablations else []
    settings = ExperimentSettings.from_options(locals(), ablations=chosen)
    try:
        settings.check()
    except ValueError as error:
        raise SteError(str(error)) from None
    tools = load_tools(toolbox)
    SideEffectPolicy.parse(allow_side_effects).check_names(tools)
    if reset:
        check_reset(reset)
    say_held_back(tools, allow_side_effects)
    start_experiment(out, name, toolbox, tools, settings, force=force)
    tests = load_tests(tests_path, [t.name for t in tools])[:limit]
    endpoint = endpoint_from(base_url, request_timeout, retries, give_up_after)
    chat_model = load_model_with_progress(model, endpoint)
    judge_model = (
        chat_model if judge in (None, model) else load_model_with_progress(judge, endpoint)
    )
    console.print(
        f"experiment: {chat_model.name} on {name} ({len(tools)} tools, {len(tests)} test "
        f"items) -> {out}",
        highlight=False,
    )
    with item_progress("experiment") as progress:
        runner = Experiment(
            out,
            name,
            tools,
            tests,
            tests_path,
            settings,
            chat_model,
            judge_model,
            progress,
            lambda spec: load_model_with_progress(spec, endpoint),
            force=force,
        )
        results = asyncio.run(runner.run())
    console.print((out / "results.md").read_text(), markup=False, highlight=False, soft_wrap=True)
    console.print(
        f"{len(results['conditions'])} conditions -> {out / 'results.md'}", highlight=False
    )
