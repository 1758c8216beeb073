"""`ste experiment`: how much better does STE make a model on a benchmark's tools?"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

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
    errors,
    user_errors,
)
from ste.cli.common import (
    check_side_effects,
    endpoint_from,
    item_progress,
    load_model_with_progress,
)
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


def lift_lines(results: dict[str, Any]) -> list[str]:
    """One sentence per condition: its change in correct first calls, and whether McNemar's
    test calls it significant (said plainly when it does not)."""
    conditions = results["conditions"]
    base = conditions.get("baseline")
    lines = []
    for name, condition in conditions.items():
        paired = condition.get("vs_baseline")
        if base is None or not paired:
            continue
        before = base["overall"]["correct"]["rate"]
        after = condition["overall"]["correct"]["rate"]
        verdict = (
            "a significant lift"
            if paired["p_value"] < 0.05 and after > before
            else "not significant at this budget: more test items or practice would tell"
        )
        lines.append(
            f"{name}: correct first calls {before:.1f}% -> {after:.1f}% ({after - before:+.1f}), "
            f"{paired['only_baseline']} items right only before, {paired['only_condition']} "
            f"only after, McNemar p = {paired['p_value']:.3g}: {verdict}"
        )
    return lines


def _with_quick(options: dict[str, Any]) -> dict[str, Any]:
    """The --quick budget for every option left at its default."""
    import inspect

    from ste.experiment.settings import QUICK

    defaults = {k: p.default for k, p in inspect.signature(experiment).parameters.items()}
    for key, value in QUICK.items():
        if options[key] == defaults[key]:
            options[key] = Path(value) if key == "out" else value
    return options


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
        str | None,
        typer.Option(help="Extra exploration conditions: ltm,stm,reflection,exec,review."),
    ] = None,
    notes: Annotated[
        bool, typer.Option(help="Also measure tool notes, alone and with demonstrations.")
    ] = False,
    check_call: Annotated[
        bool,
        typer.Option(
            help="Also measure the last in-context condition with its call checked against "
            "the request before it runs (ste eval --check-call)."
        ),
    ] = False,
    limit: Annotated[int | None, typer.Option(min=1, help="Only the first N test items.")] = None,
    items_per_tool: Annotated[
        int | None, typer.Option(min=1, help="Only the first N test items of each tool.")
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            help="A first look in about 25 minutes on 2 cores: 1 x 2 trials per tool, no "
            "judge or paraphrases, 3 demonstrations, 3 test items per tool (options given "
            "win)."
        ),
    ] = False,
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
    from ste.experiment.settings import ExperimentSettings, chosen_items
    from ste.tools import load_tools

    if train:  # before anything imports tqdm: the libraries' own bars stay off
        from ste.train.trainer import quiet_libraries

        quiet_libraries()
    options = _with_quick(dict(locals())) if quick else dict(locals())
    out = Path(options["out"])
    toolbox, tests_path, name = _bench_files(bench)
    chosen = [a.strip() for a in ablations.split(",") if a.strip()] if ablations else []
    settings = ExperimentSettings.from_options(
        options, ablations=chosen, check_call=options["check_call"]
    )
    try:
        settings.check()
    except ValueError as error:
        raise SteError(str(error)) from None
    tools = load_tools(toolbox)
    check_side_effects(tools, allow_side_effects, reset)
    start_experiment(out, name, toolbox, tools, settings, force=force)
    every = load_tests(tests_path, [t.name for t in tools])
    tests = chosen_items(every, settings.limit, settings.items_per_tool)
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
            toolbox=toolbox,
            force=force,
        )
        results = asyncio.run(runner.run())
    console.print((out / "results.md").read_text(), markup=False, highlight=False, soft_wrap=True)
    for line in lift_lines(results):
        console.print(line, highlight=False)
    console.print(
        f"{len(results['conditions'])} conditions -> {out / 'results.md'}", highlight=False
    )
    try:
        from ste.report import write_report

        _, page = write_report(out)
        console.print(f"report: {page}", highlight=False)
    except SteError as error:  # matplotlib not installed: the table is still there
        errors.print(f"no HTML report: {error}", highlight=False)
