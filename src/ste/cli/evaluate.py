"""`ste eval`, `ste eval-file`: score models on test sets."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from ste.agent.loop import check_protocol
from ste.cli.app import (
    AllowSideEffectsOption,
    BaseUrlOption,
    GiveUpAfterOption,
    ModelOption,
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
    settings_from,
    split_toolbox,
)
from ste.errors import SteError
from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.icl.routing import DEMOS_FOR, NOTES_FOR
from ste.jsonl import write_json
from ste.models.base import concurrency as model_concurrency
from ste.models.endpoint import Endpoint
from ste.models.registry import DEFAULT_MODEL


@app.command("eval")
@user_errors
def eval_command(
    out: Annotated[Path, typer.Option("--out", "-o", help="Results directory (resumable).")],
    arguments: Annotated[
        list[str] | None,
        typer.Argument(
            metavar="[TOOLS] TESTS",
            help="Optional toolbox (default: toolbox.py beside TESTS, else the bundled tools), "
            "then a tests.jsonl file; or a ToolBench-50 folder (the paper's test set). "
            "Without any: the bundled tools and their 60-item demo test set.",
            show_default=False,
        ),
    ] = None,
    model: ModelOption = DEFAULT_MODEL,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    tool_timeout: ToolTimeoutOption = None,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
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
    judge: Annotated[
        str | None,
        typer.Option(help="ToolBench-50 only: the judge of the 19 judged APIs (default: --model)."),
    ] = None,
    demos: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: show each query its most similar examples."),
    ] = None,
    k: Annotated[int, typer.Option(min=1, help="Demonstrations per query.")] = DEFAULT_K,
    demo_tokens: Annotated[
        int, typer.Option(min=100, help="Token budget of the demonstrations.")
    ] = DEFAULT_TOKEN_BUDGET,
    demo_turns: Annotated[
        str, typer.Option(help="all, or successful: show recoveries by their successful call.")
    ] = "all",
    demos_for: Annotated[
        str,
        typer.Option(
            help="routed: the examples of the tool the query is most about first, the most "
            "similar of the others after; similar: the most similar examples of any tool."
        ),
    ] = "routed",
    notes: Annotated[
        Path | None,
        typer.Option(help="A `ste distill` dataset: show the model its tool notes (--notes-for)."),
    ] = None,
    notes_for: Annotated[
        str,
        typer.Option(
            help="routed: the notes of the tool the query is most about, beside it; chosen: "
            "the query asked again with the notes of the tool the model called; checked: that "
            "call shown its tool's notes and written again; all: in the descriptions."
        ),
    ] = "routed",
    allow_side_effects: AllowSideEffectsOption = None,
    reset: ResetOption = None,
    grammar: Annotated[
        bool,
        typer.Option(
            help="Embedded models: constrain the reply to a call whose arguments fit the "
            "tool's schema, or an answer."
        ),
    ] = False,
    check_call: Annotated[
        bool,
        typer.Option(
            help="Check the call against the request before it runs (numbers, units, dates, "
            "schema); one that fails is asked again once, told why."
        ),
    ] = False,
) -> None:
    """Score a model's first tool call on a test set, with 95% confidence intervals.

    Scores: well-formed, API match, correct (strict and lenient), execution equivalence.
    """
    from ste.eval.runner import EvalSettings, evaluate_into, prepare_out_dir
    from ste.eval.testset import load_tests
    from ste.eval.toolbench_run import is_toolbench_dir
    from ste.tools import BUNDLED_TESTS, load_tools
    from ste.tools.sources import in_folder

    check_protocol(protocol)
    if arguments:
        toolbox, tests = split_toolbox(arguments, "TESTS")
    else:
        toolbox, tests = None, str(BUNDLED_TESTS)  # the demo benchmark of the bundled tools
    tests_path = Path(tests)
    if notes_for not in NOTES_FOR:
        raise SteError(f"--notes-for must be {', '.join(NOTES_FOR)}, got {notes_for!r}")
    if demos_for not in DEMOS_FOR:
        raise SteError(f"--demos-for must be {', '.join(DEMOS_FOR)}, got {demos_for!r}")
    if check_call and full:
        raise SteError("--check-call checks the first call before it runs; --full runs it")
    if is_toolbench_dir(tests_path):
        if toolbox or full:
            raise SteError("a ToolBench-50 folder brings its own APIs and has no answers to score")
        _eval_toolbench(
            tests_path,
            out,
            model,
            endpoint_from(base_url, request_timeout, retries, give_up_after),
            judge,
            protocol,
            limit,
            max_tokens,
            seed,
            concurrency,
            force,
        )
        return
    if toolbox is None and in_folder(tests_path.parent) is not None:
        toolbox = str(in_folder(tests_path.parent))
    tool_list = load_tools(toolbox)
    check_side_effects(tool_list, allow_side_effects, reset)
    items = load_tests(tests_path, [t.name for t in tool_list])[:limit]
    endpoint = endpoint_from(base_url, request_timeout, retries, give_up_after)
    chat_model = load_model_with_progress(model, endpoint)
    concurrency = model_concurrency(chat_model, concurrency)
    demos_path = str(demos.resolve()) if demos else None
    timeout = EvalSettings.tool_timeout if tool_timeout is None else tool_timeout
    notes_path = str(notes.resolve()) if notes else None
    if notes_path:
        from ste.distill.notes import load_notes

        load_notes(notes_path)  # unreadable notes: one line now, not after the model loads
    settings = settings_from(
        EvalSettings,
        locals(),
        demos=demos_path,
        tool_timeout=timeout,
        notes=notes_path,
        allow_side_effects=allow_side_effects or "",
        reset=reset or "",
    )
    if demo_turns not in ("all", "successful"):
        raise SteError(f"--demo-turns must be all or successful, got {demo_turns!r}")
    bank = _load_bank(demos, [item.query for item in items]) if demos else None
    manifest = settings.manifest(chat_model, tests_path, tool_list)
    done = {r["id"] for r in prepare_out_dir(out, manifest, force)}
    remaining = sum(item.id not in done for item in items)
    with item_progress("eval") as progress:
        task = progress.add_task(
            chat_model.name, total=len(items), completed=len(items) - remaining
        )
        summary = asyncio.run(
            evaluate_into(
                out,
                chat_model,
                tool_list,
                items,
                tests_path,
                settings,
                bank=bank,
                on_item=lambda _record: progress.advance(task),
            )
        )
    table = (out / "summary.md").read_text()
    console.print(table, markup=False, highlight=False, soft_wrap=True)
    if summary["unscored"]:
        errors.print(
            f"warning: {len(summary['unscored'])} item(s) not scored: their model requests "
            f"failed after the retries (reasons in {out / 'failures.jsonl'}); run the same "
            "command again to score them",
            highlight=False,
        )


def _load_bank(dataset: Path, test_queries: list[str]) -> Any:
    """The demonstration bank, with a warning when test queries appear in it."""
    from ste.icl.bank import DemoBank

    bank = DemoBank(dataset)
    leaks = bank.near_verbatim(test_queries)
    if leaks:
        errors.print(
            f"warning: {len(leaks)} test quer{'y' if len(leaks) == 1 else 'ies'} appear "
            f"(nearly) verbatim in the demonstrations of {dataset}, e.g. {leaks[0][0]!r}; "
            "scores on them measure recall, not tool use",
            highlight=False,
        )
    errors.print(
        f"demonstrations: {len(bank.examples)} examples from {dataset} ({bank.method} retrieval)",
        highlight=False,
    )
    return bank


def _eval_toolbench(
    data_dir: Path,
    out: Path,
    model: str,
    endpoint: Endpoint,
    judge: str | None,
    protocol: str,
    limit: int | None,
    max_tokens: int,
    seed: int,
    concurrency: int | None,
    force: bool,
) -> None:
    """Run a model on ToolBench-50, write predictions in the paper's layout, score them."""
    from ste.eval.runner import prepare_out_dir
    from ste.eval.toolbench_run import load_toolbench, manifest, run_toolbench

    tests, tools = load_toolbench(data_dir)
    api_order = {api: i for i, api in enumerate(dict.fromkeys(t.api for t in tests))}
    # --limit takes items round-robin over the APIs so that every API is sampled; they then
    # run grouped by API, whose items share a prompt that the local model's KV cache reuses.
    tests = sorted(tests, key=lambda test: test.index)[:limit]
    tests.sort(key=lambda test: (api_order[test.api], test.index))
    chat_model = load_model_with_progress(model, endpoint)
    settings = manifest(chat_model, data_dir, protocol, max_tokens, seed)
    done = {(r["api"], r["index"]) for r in prepare_out_dir(out, settings, force)}
    with item_progress("ToolBench-50") as progress:
        task = progress.add_task(
            chat_model.name,
            total=len(tests),
            completed=sum((t.api, t.index) in done for t in tests),
        )
        predictions = asyncio.run(
            run_toolbench(
                chat_model,
                tests,
                tools,
                out,
                protocol=protocol,
                max_tokens=max_tokens,
                seed=seed,
                concurrency=model_concurrency(chat_model, concurrency),
                on_item=lambda _record: progress.advance(task),
            )
        )
    judge_model = (
        chat_model if judge in (None, model) else load_model_with_progress(judge, endpoint)
    )
    judging = model_concurrency(judge_model, concurrency)
    _score_and_print(predictions, data_dir, judge_model, judging, trust_cached=False, out=out)


def _score_and_print(
    predictions: Path,
    data_dir: Path,
    judge_model: object | None,
    concurrency: int | None,
    *,
    trust_cached: bool,
    out: Path | None = None,
) -> None:
    from ste.eval.toolbench import calls_to_judge, judge_anew, score_prediction_file

    judge_fn = None
    if judge_model is not None:
        pending = len(calls_to_judge(predictions, data_dir))
        with item_progress("judge") as progress:
            task = progress.add_task(judge_model.name, total=pending)  # type: ignore[attr-defined]
            judge_fn, _count = asyncio.run(
                judge_anew(
                    judge_model,  # type: ignore[arg-type]
                    predictions,
                    data_dir,
                    concurrency=concurrency,
                    on_judged=lambda: progress.advance(task),
                )
            )
    scores = score_prediction_file(predictions, data_dir, judge_fn, trust_cached=trust_cached)
    line = (
        f"well-formed {scores.well_formed:.3f}  API match {scores.api_match:.2f}  "
        f"correct {scores.correct:.3f}  (n = {scores.n})"
    )
    if judge_model is not None:
        line += f"  judge: {judge_model.name}"  # type: ignore[attr-defined]
    else:  # say where the correct figure comes from, and give the recomputed one beside it
        recomputed = score_prediction_file(predictions, data_dir, None, trust_cached=False)
        line += (
            "\ncorrect "
            + (
                "replays the file's cached verdicts (judged and string-match APIs)"
                if trust_cached
                else "recomputes string match; judged APIs replay the file's cached verdicts"
            )
            + f"; with string match recomputed: {recomputed.correct:.3f}; "
            "to judge the judged APIs anew: --judge MODEL"
        )
    if out is not None:
        summary = {
            "n": scores.n,
            "well_formed": scores.well_formed,
            "api_match": scores.api_match,
            "correct": scores.correct,
            "judge": getattr(judge_model, "name", None),
            "per_api": scores.per_api(),
            "items": [vars(item) for item in scores.items],
        }
        write_json(out / "summary.json", summary)
    console.print(line, highlight=False)


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
    judge: Annotated[
        str | None,
        typer.Option(
            help="Judge the 19 judged APIs anew with this model instead of the cached verdicts."
        ),
    ] = None,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Judgments at once (default: 1 local, 8 endpoints).")
    ] = None,
) -> None:
    """Score a ToolBench-50 prediction file exactly as the STE paper does."""
    if format != "ste":
        raise SteError(f"--format must be 'ste' (the paper's layout), got {format!r}")
    if not predictions.is_file():
        raise SteError(f"{predictions}: no such prediction file")
    endpoint = endpoint_from(base_url, request_timeout, retries, give_up_after)
    judge_model = load_model_with_progress(judge, endpoint) if judge else None
    _score_and_print(
        predictions,
        data_dir or predictions.parent,
        judge_model,
        model_concurrency(judge_model, concurrency),
        trust_cached=not recompute_string_match,
    )
