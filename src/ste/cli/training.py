"""`ste train`: fine-tune a model on a `ste distill` dataset (LoRA by default)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from ste.cli.app import app, console, errors, user_errors
from ste.cli.common import item_progress, settings_from
from ste.train.distractors import DEFAULT_DISTRACTORS

LOSS_LINES = 20  # about this many loss lines over a run, besides the bar's live value


def _print_data(mix: Any, stats: Any) -> None:
    parts = [f"{mix.new} new"] + [f"{c.taken} from {c.name}" for c in mix.counts]
    console.print(
        f"training set: {' + '.join(parts)} = {len(mix.chats)} chats; {stats.examples} "
        f"examples, {stats.tokens} tokens ({stats.assistant_tokens} trained on)",
        highlight=False,
    )
    if stats.truncated or stats.dropped:
        errors.print(
            f"warning: {stats.truncated} example(s) cut at --max-length, {stats.dropped} of them "
            "dropped (no assistant token left)",
            highlight=False,
        )
    for warning in mix.warnings:
        errors.print(f"warning: {warning}", highlight=False)


def _print_summary(summary: dict[str, Any]) -> None:
    first, last = summary["first_loss"], summary["last_loss"]
    loss = f"{first:.4f} -> {last:.4f}" if first is not None and last is not None else "-"
    console.print(
        f"{summary['mode']}: {summary['steps']} steps, {summary['epochs']} epochs, "
        f"{summary['examples']} examples, loss {loss}, {summary['seconds']} s",
        highlight=False,
    )
    for name, path in summary["outputs"].items():
        console.print(f"  {name}: {path}", highlight=False)
    merged = summary["outputs"]["merged"]
    console.print(
        f"use it: ste eval TESTS --model hf:{merged} --protocol native\n"
        f"or, faster, as GGUF for llama.cpp: ste export-gguf {merged} --out MODEL.gguf",
        highlight=False,
    )


@app.command()
@user_errors
def train(
    dataset: Annotated[Path, typer.Argument(help="A `ste distill` output directory.")],
    base: Annotated[
        str,
        typer.Option(
            help="Model to fine-tune: a registry name, a .gguf file, or a Hugging Face model "
            "directory (e.g. an earlier run's merged/)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="Model directory to write.")],
    full: Annotated[bool, typer.Option(help="Fine-tune every weight instead of LoRA.")] = False,
    epochs: Annotated[float, typer.Option(min=0.01)] = 2.0,
    lr: Annotated[
        float | None,
        typer.Option(min=0.0, help="Learning rate (default 2e-4 for LoRA, 2e-5 with --full)."),
    ] = None,
    max_steps: Annotated[
        int | None, typer.Option(min=1, help="Stop after this many steps (overrides --epochs).")
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1)] = 1,
    grad_accum: Annotated[int, typer.Option(min=1, help="Gradient accumulation steps.")] = 8,
    max_length: Annotated[int, typer.Option(min=16, help="Tokens per example (cut).")] = 2048,
    lora_r: Annotated[int, typer.Option(min=1, help="LoRA rank (alpha = 2r).")] = 16,
    replay: Annotated[
        list[str] | None,
        typer.Option(
            help="DIR[:SHARE]: replay an earlier dataset as SHARE of the final training set "
            "(default share 0.25); repeatable."
        ),
    ] = None,
    general: Annotated[
        Path | None, typer.Option(help='JSONL of {"messages": [...]} general instruction chats.')
    ] = None,
    general_share: Annotated[
        float, typer.Option(help="Share of the final training set from --general.")
    ] = 0.1,
    distractors: Annotated[
        int,
        typer.Option(
            min=0,
            help="Offer each example's tool among up to N other tools of the training set, "
            "so the model learns to pick the right one, as it must at inference; 0: its tool "
            "only.",
        ),
    ] = DEFAULT_DISTRACTORS,
    precision: Annotated[
        str,
        typer.Option(
            help="auto (bf16 mixed precision where the GPU or CPU has native bf16, else fp32), "
            "bf16 or fp32."
        ),
    ] = "auto",
    gradient_checkpointing: Annotated[
        bool,
        typer.Option(
            help="Recompute activations in the backward pass: much less memory (a 0.5B model "
            "on 1,300-token chats peaked near 14 GB without), at the cost of a second forward pass."
        ),
    ] = False,
    save_steps: Annotated[int, typer.Option(min=1, help="Checkpoint every N steps.")] = 50,
    seed: Annotated[int, typer.Option()] = 0,
    resume: Annotated[
        bool, typer.Option(help="Continue from the last checkpoint in OUT/checkpoints.")
    ] = False,
) -> None:
    """Fine-tune on a distilled dataset: writes OUT/adapter, OUT/merged, the log and a summary."""
    from ste.train.trainer import TrainSettings, quiet_libraries

    quiet_libraries()
    from ste.train.trainer import train as run_training

    general_path = str(general) if general else None
    settings = settings_from(
        TrainSettings, locals(), replay=list(replay or []), general=general_path
    )
    progress = item_progress("train")
    task = progress.add_task("loading the model", total=None)

    def on_data(mix: Any, stats: Any) -> None:
        _print_data(mix, stats)
        progress.start()  # only now: a bad dataset or base stays one error line

    def on_progress(step: int, total: int, record: dict[str, Any]) -> None:
        if "loss" not in record:  # the start (the model is loaded), or the closing record
            progress.update(
                task, completed=step, total=total, description="" if not record else None
            )
            return
        progress.update(task, completed=step, total=total, description=f"loss {record['loss']:.4f}")
        if step == 1 or step == total or step % max(1, total // LOSS_LINES) == 0:
            progress.console.print(
                f"step {step}/{total} loss {record['loss']:.4f}", highlight=False
            )

    try:
        summary = run_training(dataset, base, out, settings, on_progress, on_data)
    finally:
        progress.stop()
    _print_summary(summary)


@app.command("export-gguf")
@user_errors
def export_gguf(
    model_dir: Annotated[
        Path, typer.Argument(help="A Hugging Face model directory, e.g. `ste train`'s merged/.")
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="The .gguf file to write.")],
    outtype: Annotated[
        str, typer.Option(help="Weight type: q8_0 (default: small, near lossless), f16, bf16, f32.")
    ] = "q8_0",
    converter: Annotated[
        Path | None,
        typer.Option(
            help="llama.cpp's convert_hf_to_gguf.py to use (default: the one of the installed "
            "llama-cpp-python, fetched once from PyPI and cached)."
        ),
    ] = None,
) -> None:
    """Convert a fine-tuned model to GGUF, for `--model FILE.gguf` (llama.cpp) anywhere."""
    from ste.train.gguf_export import export_gguf as convert

    with console.status(f"converting {model_dir} to {outtype} GGUF"):
        written = convert(model_dir, out, outtype, converter)
    size = written.stat().st_size / 2**20
    console.print(
        f"wrote {written} ({size:.0f} MiB); use it: ste run QUERY --model {written}",
        highlight=False,
    )
