"""The Python API: one function per step of the method, each writing a resumable folder.

    import ste

    tools = ste.load_tools("mytools.py")
    model = ste.load_model("qwen2.5-coder-1.5b")
    ste.explore(tools, model, "runs/mine")                 # practise every tool
    ste.distill("runs/mine", "runs/data", judge=model)     # keep what was right
    ste.evaluate(model, tools, "tests.jsonl", "results/icl", demos="runs/data")
    ste.train("runs/data", "qwen2.5-coder-0.5b", "runs/model")

Each function is synchronous, continues its folder where an earlier call stopped, and refuses
a folder of other settings unless `force=True`, as the `ste` commands (built on the same
library functions) do.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any

from ste.distill.pipeline import DistillSettings
from ste.eval.runner import EvalSettings
from ste.explore.settings import ExploreSettings
from ste.models.base import ChatModel
from ste.models.base import concurrency as model_concurrency
from ste.records import Trial
from ste.tools.tool import Tool


def explore(
    tools: list[Tool],
    model: ChatModel,
    out: str | Path,
    settings: ExploreSettings | None = None,
    *,
    force: bool = False,
) -> list[Trial]:
    """Let `model` practise every tool; returns every trial of the run directory `out`."""
    from ste.explore import RunDir
    from ste.explore import explore as run_exploration
    from ste.explore.settings import manifest

    settings = settings or ExploreSettings()
    run_dir = RunDir(Path(out))
    run_dir.start(manifest(model.name, tools, settings), force=force)
    asyncio.run(
        run_exploration(
            model, tools, settings, run_dir, concurrency=model_concurrency(model, None, len(tools))
        )
    )
    return run_dir.read_trials()


def distill(
    run: str | Path,
    out: str | Path,
    settings: DistillSettings | None = None,
    *,
    judge: ChatModel | None = None,
    paraphraser: ChatModel | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Turn the trials of exploration run `run` into the dataset `out`; returns its summary.

    Without a `judge` the LLM judge check is skipped; without a `paraphraser` no paraphrases.
    """
    from ste.distill.pipeline import distill as run_distill
    from ste.distill.pipeline import prepare

    settings = settings or DistillSettings(judge=judge is not None)
    if paraphraser is None:
        settings = replace(settings, max_paraphrases=0)
    names = {
        "judge": getattr(judge, "name", None),
        "paraphraser": getattr(paraphraser, "name", None),
    }
    trials, tools, _ = prepare(Path(run), Path(out), settings, names, force)
    return asyncio.run(
        run_distill(
            trials,
            tools,
            Path(out),
            settings,
            judge,
            paraphraser,
            concurrency=model_concurrency(judge or paraphraser),
        )
    )


def evaluate(
    model: ChatModel,
    tools: list[Tool],
    tests: str | Path,
    out: str | Path,
    settings: EvalSettings | None = None,
    *,
    demos: str | Path | None = None,
    force: bool = False,
) -> dict[str, Any]:
    """Score `model`'s first calls on the test set `tests`, with the demonstrations of the
    dataset `demos` when given; returns the summary (every score with its 95% interval)."""
    from ste.eval.runner import evaluate_into, prepare_out_dir
    from ste.eval.testset import load_tests
    from ste.icl.bank import DemoBank

    given = settings or EvalSettings()
    settings = replace(
        given,
        concurrency=model_concurrency(model, given.concurrency),
        demos=str(Path(demos).resolve()) if demos is not None else given.demos,
    )
    items = load_tests(Path(tests), [t.name for t in tools])
    bank = DemoBank(Path(settings.demos)) if settings.demos else None
    prepare_out_dir(Path(out), settings.manifest(model, Path(tests), tools), force)
    return asyncio.run(
        evaluate_into(Path(out), model, tools, items, Path(tests), settings, bank=bank)
    )


def train(dataset: str | Path, base: str, out: str | Path, settings: Any = None) -> dict[str, Any]:
    """Fine-tune `base` (a registry name, a .gguf file or an HF directory) on a distilled
    dataset; writes `out/adapter` and `out/merged`; returns the training summary."""
    from ste.train.trainer import TrainSettings
    from ste.train.trainer import train as run_training

    return run_training(Path(dataset), base, Path(out), settings or TrainSettings())
