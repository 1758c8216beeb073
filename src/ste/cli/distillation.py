"""`ste distill`: turn an exploration run into a verified tool-use dataset."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated, Any

import typer

from ste.cli.app import (
    BaseUrlOption,
    GiveUpAfterOption,
    RequestTimeoutOption,
    RetriesOption,
    app,
    console,
    user_errors,
)
from ste.cli.common import endpoint_from, item_progress, load_model_with_progress, settings_from
from ste.display import table
from ste.errors import SteError
from ste.models.base import concurrency as model_concurrency


@app.command()
@user_errors
def distill(
    run: Annotated[Path, typer.Argument(help="A run directory of `ste explore`.")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Dataset directory (resumable).")],
    judge: Annotated[
        str | None, typer.Option(help="Judge model spec (default: the model that explored).")
    ] = None,
    paraphraser: Annotated[
        str | None, typer.Option(help="Paraphrasing model spec (default: the judge).")
    ] = None,
    base_url: BaseUrlOption = None,
    request_timeout: RequestTimeoutOption = 120.0,
    retries: RetriesOption = 3,
    give_up_after: GiveUpAfterOption = 8,
    use_judge: Annotated[
        bool, typer.Option("--judge-check/--no-judge-check", help="Run the LLM judge.")
    ] = True,
    settle_doubts: Annotated[
        bool,
        typer.Option(
            help="Ask the judge about a check's doubt (a value the request names swapped "
            "after an error) and keep the example on its Yes; off: a doubt rejects."
        ),
    ] = False,
    require_reflection: Annotated[
        bool, typer.Option(help="Keep only trials whose reflection said Yes.")
    ] = True,
    last_call_only: Annotated[
        bool, typer.Option(help="Keep only the last successful call (the paper's layout).")
    ] = False,
    dedup: Annotated[str, typer.Option(help="auto, embedding or lexical.")] = "auto",
    dedup_threshold: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Similarity at which queries are duplicates."),
    ] = None,
    target_per_tool: Annotated[
        int, typer.Option(min=0, help="Paraphrase to about this many examples per tool.")
    ] = 150,
    max_paraphrases: Annotated[int, typer.Option(min=0, help="Per example.")] = 6,
    dev_share: Annotated[
        float, typer.Option(min=0.0, max=0.9, help="Share of examples held out as a dev split.")
    ] = 0.0,
    notes: Annotated[
        bool, typer.Option(help="Write tool notes from practice, verified by re-execution.")
    ] = False,
    prune: Annotated[
        bool,
        typer.Option(
            help="Drop from kept calls the optional arguments the request does not name that, "
            "run again without them, change nothing."
        ),
    ] = True,
    reword: Annotated[
        bool,
        typer.Option(
            help="Ask a kept request that names a value as the tool spells it (the code FRA) "
            "for once more in the user's words (France), the call kept.",
        ),
    ] = True,
    answer_again: Annotated[
        bool,
        typer.Option(
            help="Answer again from its results a trial that fails checks of its answer "
            "alone, kept if every check then passes.",
        ),
    ] = True,
    request_again: Annotated[
        bool,
        typer.Option(
            help="Ask again, from its call and result, for a request that left out the "
            "values its call chose; kept, answered again, if every check then passes.",
        ),
    ] = True,
    seed: Annotated[int, typer.Option()] = 0,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Requests at once (default: 1 local, 8 endpoints).")
    ] = None,
    force: Annotated[bool, typer.Option(help="Start over an --out of other settings.")] = False,
) -> None:
    """Check, judge, deduplicate, paraphrase and export the trials of an exploration run."""
    from ste.distill.pipeline import DistillSettings, prepare
    from ste.distill.pipeline import distill as run_distill
    from ste.explore import RunDir

    if dedup not in ("auto", "embedding", "lexical"):
        raise SteError(f"--dedup must be auto, embedding or lexical, got {dedup!r}")
    run_manifest = RunDir(run).read_manifest()
    judge_spec = judge or run_manifest.get("model_spec") or run_manifest.get("model")
    paraphraser_spec = paraphraser or judge_spec
    settings = settings_from(DistillSettings, locals(), judge=use_judge)
    models = {"judge": judge_spec if use_judge else None, "paraphraser": paraphraser_spec}
    trials, tools, _manifest = prepare(run, out, settings, models, force)
    endpoint = endpoint_from(base_url, request_timeout, retries, give_up_after)
    judge_model = load_model_with_progress(judge_spec, endpoint) if use_judge else None
    if paraphraser_spec == judge_spec and judge_model is not None:
        paraphrase_model = judge_model
    else:
        paraphrase_model = load_model_with_progress(paraphraser_spec, endpoint)
    if concurrency is None:
        concurrency = model_concurrency(judge_model or paraphrase_model)
    console.print(
        f"distilling {len(trials)} trials of {len(tools)} tool(s) -> {out}", highlight=False
    )
    with item_progress("distill") as progress:
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = progress.add_task(stage, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        summary = asyncio.run(
            run_distill(
                trials,
                tools,
                out,
                settings,
                judge_model,
                paraphrase_model,
                concurrency=concurrency,
                progress=on_progress,
            )
        )
    print_dataset_summary(summary)


def print_dataset_summary(summary: dict[str, Any]) -> None:
    columns = ["tool", "explored", "kept", "rejected (by reason)", "paraphrases ok / rejected"]
    rows = []
    for name, row in summary["tools"].items():
        reasons = ", ".join(f"{k} {v}" for k, v in sorted(row["rejected"].items())) or "-"
        paraphrases = f"{row['paraphrases_accepted']} / {row['paraphrases_rejected']}"
        rows.append(
            [name, str(row["explored"]), str(row["kept"]), reasons, paraphrases]
            + [str(row["examples"]), str(row["recovered"])]
        )
    console.print(table("per tool", [*columns, "examples", "recovered"], rows))
    console.print(
        f"kept {summary['kept']} of {summary['explored']} trials "
        f"({summary['acceptance_pct']}%), {summary['examples']} examples; dedup: "
        f"{summary.get('dedup')}",
        highlight=False,
    )
    if summary.get("requested_again"):
        console.print(
            f"{summary['requested_again']} trial(s) kept with their request asked for again "
            "with the values their calls chose (requests.jsonl)",
            highlight=False,
        )
    if summary.get("answered_again"):
        console.print(
            f"{summary['answered_again']} trial(s) kept with their answer written again from "
            "their results (answers.jsonl)",
            highlight=False,
        )
    if summary.get("reworded"):
        console.print(
            f"{summary['reworded']} kept request(s) reworded in the user's words "
            "(rewordings.jsonl)",
            highlight=False,
        )
    if summary.get("no_examples"):
        console.print(
            f"[bold yellow]no kept example for {len(summary['no_examples'])} tool(s):[/bold "
            f"yellow] {', '.join(summary['no_examples'])} (see their rejections above)",
            highlight=False,
        )
    if summary.get("not_run_again"):
        console.print(
            f"[bold yellow]not run again:[/bold yellow] {', '.join(summary['not_run_again'])} "
            "(the run's toolbox does not load here with the tools it explored, or the run "
            "did not execute its tools): no call of theirs was re-executed or pruned, and "
            "no notes were written for them",
            highlight=False,
        )
    if "notes" in summary:
        counts = ", ".join(f"{tool} {n}" for tool, n in summary["notes"].items())
        dropped = sum(summary.get("notes_dropped", {}).values())
        console.print(
            f"tool notes (verified by re-execution): {counts}; {dropped} dropped",
            highlight=False,
        )
    for name, path in (summary.get("exports") or {}).items():
        console.print(f"  {name}: {path}", highlight=False)
