"""`ste explore` and `ste show`: practise every tool, and see what happened."""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import Progress

from ste import workdir
from ste.cli.app import (
    AllowSideEffectsOption,
    BaseUrlOption,
    GiveUpAfterOption,
    RequestTimeoutOption,
    ResetOption,
    RetriesOption,
    TemperatureOption,
    ToolsArgument,
    ToolTimeoutOption,
    app,
    console,
    user_errors,
)
from ste.cli.common import (
    endpoint_from,
    item_progress,
    load_model_with_progress,
    say_held_back,
)
from ste.errors import SteError
from ste.jsonl import write_json
from ste.models.base import concurrency as model_concurrency
from ste.models.registry import DEFAULT_MODEL
from ste.records import Trial
from ste.workdir import manifest_kind

MAX_TOOL_BARS = 12


@app.command()
@user_errors
def explore(
    toolbox: ToolsArgument = None,
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Run directory (created, or continued).")
    ] = None,
    resume: Annotated[
        Path | None,
        typer.Option(help="Continue this run directory with its own toolbox, model and settings."),
    ] = None,
    model: Annotated[
        str | None,
        typer.Option("--model", "-m", help=f"Model spec (default: {DEFAULT_MODEL})."),
    ] = None,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
    episodes: Annotated[int | None, typer.Option(min=1, help="Per tool (default: 15).")] = None,
    trials: Annotated[int | None, typer.Option(min=1, help="Per episode (default: 4).")] = None,
    max_turns: Annotated[
        int | None, typer.Option(min=1, help="Replies per trial (default: 4).")
    ] = None,
    extra_turns: Annotated[
        int | None,
        typer.Option(
            min=0, help="More replies, one per error the tool had not given (default: 2)."
        ),
    ] = None,
    rebalance: Annotated[
        bool | None,
        typer.Option(
            "--rebalance/--no-rebalance",
            help="Stop a tool whose episode taught nothing new once it has 3 solved trials; "
            "its unused episodes repair the tools with fewer (default: on).",
        ),
    ] = None,
    review: Annotated[
        bool | None,
        typer.Option(
            "--review/--no-review",
            help="Tell a trial what the rule checks found wrong with its call or answer, and "
            "let it call again (default: on).",
        ),
    ] = None,
    request_from_call: Annotated[
        bool | None,
        typer.Option(
            "--request-from-call/--no-request-from-call",
            help="Where the model imagined no request it could try, let it call the tool "
            "once and write the request from that call and its result (default: on).",
        ),
    ] = None,
    temperature: TemperatureOption = None,
    tool_timeout: ToolTimeoutOption = None,
    protocol: Annotated[str | None, typer.Option(help="react or native (default: react).")] = None,
    ltm: Annotated[
        bool | None, typer.Option("--ltm/--no-ltm", help="Long-term memory (default: on).")
    ] = None,
    stm: Annotated[
        bool | None,
        typer.Option(
            "--stm/--no-stm", help="Trials of an episode in one conversation (default: on)."
        ),
    ] = None,
    reflection: Annotated[
        bool | None, typer.Option("--reflection/--no-reflection", help="Reflect (default: on).")
    ] = None,
    execute: Annotated[
        bool | None,
        typer.Option(
            "--exec/--no-exec", help="Run the tools (off: calls only recorded) (default: on)."
        ),
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Fixes every trial's seed (default: 0).")] = None,
    only: Annotated[
        str | None, typer.Option(help="Explore only these tools (comma-separated names).")
    ] = None,
    concurrency: Annotated[
        int | None,
        typer.Option(min=1, help="Tools at once (default: 1 local model, 16 endpoints)."),
    ] = None,
    cache: Annotated[
        Path | None, typer.Option(help="SQLite response cache: identical requests answered once.")
    ] = None,
    allow_side_effects: AllowSideEffectsOption = None,
    reset: ResetOption = None,
    start_states: Annotated[
        Path | None,
        typer.Option(
            help="A JSON list of start states for a stateful toolbox: episodes practise from "
            "them in turn."
        ),
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Continue a run whose tools or settings changed.")
    ] = False,
) -> None:
    """Let the model practise every tool: imagine queries, call the real tool, reflect, remember.

    Trials are written as they finish; an interrupted run continues with --resume RUN_DIR.
    """
    from ste.explore import explore as run_exploration
    from ste.explore.plan import plan_run

    if (out is None) == (resume is None):
        raise SteError("give --out RUN_DIR for a new run, or --resume RUN_DIR to continue one")
    plan = plan_run(
        out or resume,  # type: ignore[arg-type]
        resume=resume is not None,
        toolbox=toolbox,
        model=model,
        base_url=base_url,
        only=only,
        episodes=episodes,
        trials=trials,
        max_turns=max_turns,
        extra_turns=extra_turns,
        rebalance=rebalance,
        review=review,
        request_from_call=request_from_call,
        temperature=temperature,
        tool_timeout=tool_timeout,
        protocol=protocol,
        ltm=ltm,
        stm=stm,
        reflection=reflection,
        execute=execute,
        seed=seed,
        allow_side_effects=allow_side_effects,
        reset=reset,
        start_states=str(start_states.resolve()) if start_states else None,
    )
    run_dir, settings, tools = plan.run_dir, plan.settings, plan.tools
    workdir.lock(run_dir.path)  # before the model loads: a busy folder is refused at once
    endpoint = endpoint_from(plan.base_url, request_timeout, retries, give_up_after)
    chat_model = load_model_with_progress(plan.model, endpoint)
    run_dir.start(plan.manifest(chat_model.name), force=force)

    if cache is not None:
        from ste.models.cache import CachedModel

        chat_model = CachedModel(chat_model, cache)
    concurrency = model_concurrency(chat_model, concurrency, len(tools))

    done = run_dir.read_trials()
    total = len(tools) * settings.episodes * settings.trials
    per_tool_total = settings.episodes * settings.trials
    console.print(
        f"exploring {len(tools)} tool(s) with {chat_model.name}: {settings.episodes} episodes x "
        f"{settings.trials} trials each (at most {total}), {len(done)} already done "
        f"-> {run_dir.path}",
        highlight=False,
    )
    say_held_back(tools, settings.allow_side_effects)
    with item_progress("explore") as progress:
        overall = progress.add_task("all tools", total=total, completed=len(done))
        bars = _tool_bars(progress, tools, done, per_tool_total)

        def on_trial(trial: Trial) -> None:
            progress.advance(overall)
            if trial.tool in bars:
                progress.advance(bars[trial.tool])

        asyncio.run(
            run_exploration(
                chat_model, tools, settings, run_dir, concurrency=concurrency, on_trial=on_trial
            )
        )
    _print_summary(run_dir)


def _tool_bars(progress: Progress, tools: list, done: list[Trial], per_tool: int) -> dict[str, Any]:
    if len(tools) > MAX_TOOL_BARS:
        return {}
    counts = {t.name: 0 for t in tools}
    for trial in done:
        if trial.tool in counts:
            counts[trial.tool] += 1
    return {
        t.name: progress.add_task(t.name, total=per_tool, completed=counts[t.name]) for t in tools
    }


def _print_summary(run_dir: Any) -> dict[str, Any]:
    from ste.explore.report import (
        ledger_line,
        review_line,
        summarise,
        tools_table,
        trial_index_table,
    )

    summary = summarise(run_dir.read_trials(), run_dir.read_ledger())
    write_json(run_dir.path / "summary.json", summary)
    console.print(tools_table(summary))
    console.print(trial_index_table(summary))
    console.print(review_line(summary), highlight=False)
    console.print(ledger_line(summary), highlight=False)
    return summary


@app.command()
@user_errors
def show(
    run: Annotated[
        Path, typer.Argument(help="A run directory of `ste explore` or a dataset of `ste distill`.")
    ],
    trial: Annotated[
        str | None, typer.Option(help="Show this trial (an id such as 'hash_text/e1/t2').")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Summarise an exploration run (per tool, per trial index) or a distilled dataset."""
    from ste.explore import RunDir
    from ste.explore.report import summarise, trial_view

    if manifest_kind(run) == "ste-dataset":
        _show_dataset(run, as_json)
        return
    run_dir = RunDir(run)
    manifest = run_dir.read_manifest()
    trials = run_dir.read_trials()
    if trial is not None:
        matches = [t for t in trials if t.id == trial]
        if not matches:
            shown = ", ".join(t.id for t in trials[:5]) or "none yet"
            raise SteError(f"{run}: no trial {trial!r} (ids look like: {shown})")
        settings = manifest.get("settings", {})
        console.print(
            trial_view(matches[0], manifest.get("model", ""), settings.get("protocol", ""))
        )
        return
    if as_json:
        summary = summarise(trials, run_dir.read_ledger())
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    console.print(f"{run}: {manifest.get('model')}, {len(trials)} trials", highlight=False)
    _print_summary(run_dir)


def _show_dataset(path: Path, as_json: bool) -> None:
    from ste.cli.distillation import print_dataset_summary

    summary_path = path / "summary.json"
    if not summary_path.exists():
        raise SteError(f"{path}: the distillation has not finished yet (no summary.json)")
    summary = json.loads(summary_path.read_text(encoding="utf-8"))
    if as_json:
        sys.stdout.write(json.dumps(summary, indent=2) + "\n")
        return
    print_dataset_summary(summary)
    examples = (path / "examples.jsonl").read_text(encoding="utf-8").splitlines()
    if examples:
        sample = json.loads(examples[0])
        console.print(f"\n[bold]sample[/bold] {sample['id']}: {sample['query']}")
        for turn in sample["turns"]:
            arguments = json.dumps(turn["arguments"], ensure_ascii=False)
            console.print(
                f"  {turn['name']}({arguments}) -> {turn['observation'][:200]}", markup=False
            )
        console.print(f"  answer: {sample['final_answer'][:300]}", markup=False)
