"""Run an experiment stage by stage; a stage that finished before is skipped.

EXP_DIR/
  baseline/           ste eval without demonstrations
  explore/            ste explore (and explore-no-X for each ablation)
  dataset/            ste distill (and dataset-no-X)
  icl/                ste eval with the dataset's demonstrations (and icl-no-X)
  model/, finetuned/  with --train: ste train, then ste eval of the fine-tuned model
  baseline-native/    with --train, when the baseline above is not already the trained base
                      asked natively: the before of the fine-tuned model's after
  stages.json         what each finished stage cost; results.json, results.md: the table
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from rich.progress import Progress

from ste import workdir
from ste.distill.pipeline import distill, prepare
from ste.eval.runner import evaluate_into, prepare_out_dir, read_items
from ste.eval.stats import paired_correct
from ste.eval.testset import TestItem
from ste.experiment.results import ledger_usage, results_markdown
from ste.experiment.settings import ExperimentSettings
from ste.explore import ExploreSettings, RunDir, explore
from ste.explore.report import summarise as summarise_exploration
from ste.explore.settings import manifest as explore_manifest
from ste.explore.settings import tool_fingerprint
from ste.icl.bank import DemoBank
from ste.icl.routing import NOTES_PLACES
from ste.jsonl import write_json
from ste.models.base import ChatModel
from ste.models.base import concurrency as model_concurrency
from ste.tools.effects import SideEffectPolicy, apply_policy
from ste.tools.tool import Tool

STAGES = "stages.json"
RECORD = "experiment.json"


def start_experiment(
    out: Path,
    bench: str,
    toolbox: str,
    tools: list[Tool],
    settings: ExperimentSettings,
    *,
    force: bool,
) -> None:
    """Create or continue the experiment folder `out` (its `experiment.json`).

    Refused, as `ste explore` refuses, when the folder holds an experiment of other
    settings or of other tools (one edited since, say), unless `force`.
    """
    record = {
        "kind": "ste-experiment",
        "bench": bench,
        "toolbox": toolbox,
        **settings.record(),
        "tools": [tool_fingerprint(t) for t in tools],
    }
    workdir.start(
        out,
        record,
        force=force,
        what="an experiment",
        forced="continue it with these",
        name=RECORD,
    )


class Experiment:
    def __init__(
        self,
        out: Path,
        bench: str,
        tools: list[Tool],
        tests: list[TestItem],
        tests_path: Path,
        settings: ExperimentSettings,
        model: ChatModel,
        judge: ChatModel,
        progress: Progress,
        load_model: Callable[[str], ChatModel],
        *,
        toolbox: str,
        force: bool = False,
    ) -> None:
        self.out = out
        self.force = force
        self.bench = bench
        self.toolbox = toolbox  # its spec: a later `ste distill` of a stage loads the tools
        self.tools = tools
        # what exploration and distillation's checks call: side effects only where allowed
        policy = SideEffectPolicy.parse(settings.explore.allow_side_effects)
        self.runnable = apply_policy(tools, policy)
        self.tests = tests
        self.tests_path = tests_path
        self.settings = settings
        self.model = model
        self.judge = judge
        self.progress = progress
        self.load_model = load_model
        self.stages: dict[str, Any] = self._read_stages()

    # --- bookkeeping ---------------------------------------------------------------------

    def _read_stages(self) -> dict[str, Any]:
        path = self.out / STAGES
        return json.loads(path.read_text()) if path.exists() else {}

    def _record(self, name: str, cost: dict[str, Any]) -> None:
        self.stages[name] = cost
        write_json(self.out / STAGES, self.stages)

    async def _stage(self, name: str, work: Callable[[], Awaitable[dict[str, Any]]]) -> None:
        if self.stages.get(name, {}).get("done"):
            return
        started = time.perf_counter()
        usage = await work()
        self._record(name, {"done": True, "seconds": time.perf_counter() - started, **usage})

    def _task(self, label: str, total: int) -> Callable[..., None]:
        task = self.progress.add_task(label, total=total)
        return lambda *_: self.progress.advance(task)

    # --- stages ------------------------------------------------------------------------------

    async def evaluate(
        self,
        name: str,
        model: ChatModel,
        demos: Path | None = None,
        protocol: str | None = None,
        notes: Path | None = None,
        check_call: bool = False,
    ) -> dict[str, Any]:
        out = self.out / name
        settings = replace(
            self.settings.icl,
            check_call=check_call,
            protocol=protocol or self.settings.protocol,
            demos=str(demos) if demos else None,
            notes=str(notes) if notes else None,
            notes_for=self.settings.notes_for if notes else "all",
            concurrency=self._concurrency(),
        )
        done = prepare_out_dir(
            out, settings.manifest(model, self.tests_path, self.tools), force=False
        )
        bank = DemoBank(demos) if demos else None
        advance = self._task(f"eval {name}", len(self.tests))
        for _ in done:
            advance()
        summary = await evaluate_into(
            out,
            model,
            self.tools,
            self.tests,
            self.tests_path,
            settings,
            bank=bank,
            title=f"{model.name}: {name}",
            on_item=advance,
        )
        records = read_items(out)
        return {
            "calls": sum(r.usage.calls for r in records),
            "prompt_tokens": summary["overall"]["prompt_tokens"],
            "completion_tokens": summary["overall"]["completion_tokens"],
        }

    def explore_settings(self, ablation: str | None = None) -> ExploreSettings:
        return self.settings.explore_settings(ablation)

    async def explore(self, name: str, ablation: str | None = None) -> dict[str, Any]:
        s = self.settings
        settings = self.explore_settings(ablation)
        run_dir = RunDir(self.out / name)
        manifest = explore_manifest(self.model.name, self.tools, settings)
        # the toolbox's spec, as `ste explore` records it: distilled again, or continued, the
        # run loads its tools from it (the benchmark's name loads nothing)
        manifest.update(toolbox=self.toolbox, model_spec=s.model, only=None)
        run_dir.start(manifest, force=self.force)  # an edited toolbox is refused, as by explore
        total = len(self.tools) * settings.episodes * settings.trials
        advance = self._task(name, total)
        for _ in run_dir.read_trials():
            advance()
        await explore(
            self.model,
            self.runnable,
            settings,
            run_dir,
            concurrency=self._concurrency(len(self.tools)),
            on_trial=advance,
        )
        return ledger_usage(run_dir.path / "usage.jsonl")

    async def distill(self, run: str, name: str) -> dict[str, Any]:
        s = self.settings
        settings = replace(s.distill, notes=s.notes)
        models = {"judge": s.judge or s.model, "paraphraser": s.judge or s.model}
        trials, tools, _ = prepare(self.out / run, self.out / name, settings, models, force=False)
        tasks: dict[str, Any] = {}

        def on_progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = self.progress.add_task(f"{name} {stage}", total=total)
            self.progress.update(tasks[stage], completed=done, total=total)

        await distill(
            trials,
            tools,
            self.out / name,
            settings,
            self.judge,
            self.judge,
            concurrency=self._concurrency(),
            progress=on_progress,
            runnable={tool.name: tool for tool in self.runnable},
        )
        return ledger_usage(self.out / name / "usage.jsonl")

    def _concurrency(self, work: int | None = None) -> int:
        return model_concurrency(self.model, self.settings.concurrency, work)

    # --- the whole experiment ----------------------------------------------------------------

    async def run(self) -> dict[str, Any]:
        await self._stage("baseline", lambda: self.evaluate("baseline", self.model))
        await self._stage("explore", lambda: self.explore("explore"))
        await self._stage("distill", lambda: self.distill("explore", "dataset"))
        dataset = self.out / "dataset"
        await self._stage("icl", lambda: self.evaluate("icl", self.model, dataset))
        if self.settings.notes:
            await self._stage("notes", lambda: self.evaluate("notes", self.model, notes=dataset))
            await self._stage(
                "icl-notes", lambda: self.evaluate("icl-notes", self.model, dataset, notes=dataset)
            )
        if self.settings.check_call:  # the last in-context condition, its call checked
            notes = dataset if self.settings.notes else None
            await self._stage(
                "icl-checked",
                lambda: self.evaluate(
                    "icl-checked", self.model, dataset, notes=notes, check_call=True
                ),
            )
        if self.settings.train is not None:
            if self.native_baseline_needed:
                await self._stage("baseline-native", self.evaluate_base_natively)
            await self._stage("train", self.train)
            await self._stage("finetuned", self.evaluate_finetuned)
        for ablation in self.settings.ablations:
            suffix = f"no-{ablation}"
            await self._stage(
                f"explore-{suffix}", lambda a=ablation, x=suffix: self.explore(f"explore-{x}", a)
            )
            await self._stage(
                f"distill-{suffix}",
                lambda x=suffix: self.distill(f"explore-{x}", f"dataset-{x}"),
            )
            await self._stage(
                f"icl-{suffix}",
                lambda x=suffix: self.evaluate(f"icl-{x}", self.model, self.out / f"dataset-{x}"),
            )
        return self.write_results()

    @property
    def train_base(self) -> str:
        return self.settings.train_base or self.settings.model

    @property
    def native_baseline_needed(self) -> bool:
        """The fine-tuned model is asked natively (it was trained on native tool-call chats),
        so its before is the base model asked natively too."""
        return self.settings.protocol != "native" or self.train_base != self.settings.model

    async def evaluate_base_natively(self) -> dict[str, Any]:
        same = self.train_base == self.settings.model
        model = self.model if same else self.load_model(self.train_base)
        return await self.evaluate("baseline-native", model, protocol="native")

    async def train(self) -> dict[str, Any]:
        from ste.train.trainer import quiet_libraries, train

        quiet_libraries()
        settings = self.settings.train
        assert settings is not None, "train() runs only with fine-tuning settings"
        task = self.progress.add_task(f"train {self.train_base}", total=None)

        def on_progress(step: int, total: int, record: dict[str, Any]) -> None:
            loss = f" loss {record['loss']:.4f}" if "loss" in record else ""
            self.progress.update(
                task, completed=step, total=total, description=f"train {self.train_base}{loss}"
            )

        summary = train(
            self.out / "dataset", self.train_base, self.out / "model", settings, on_progress
        )
        return {
            key: summary[key]
            for key in ("steps", "epochs", "examples", "first_loss", "last_loss", "precision")
        }

    async def evaluate_finetuned(self) -> dict[str, Any]:
        model = self.load_model(f"hf:{self.out / 'model' / 'merged'}")
        # the model was trained on native tool-call chats: ask it the way it was taught
        return await self.evaluate("finetuned", model, protocol="native")

    def _vs_baseline(self, folder: str) -> dict[str, Any]:
        """McNemar's exact test on correctness against the baseline, on the shared items."""
        if folder == "baseline" or not (self.out / "baseline" / "items.jsonl").exists():
            return {}
        base = {r.id: r.correct for r in read_items(self.out / "baseline")}
        paired = paired_correct(base, {r.id: r.correct for r in read_items(self.out / folder)})
        return {
            "vs_baseline": {
                "n": paired.n,
                "only_baseline": paired.only_a,
                "only_condition": paired.only_b,
                "p_value": paired.p_value,
            }
        }

    def practice(self, run: str, dataset: str) -> dict[str, dict[str, int]]:
        """Per tool, what practice gave: trials, honestly solved, trials kept by distillation,
        examples (paraphrases included). Empty until both stages have finished."""
        summary = self.out / dataset / "summary.json"
        if not (self.out / run).is_dir() or not summary.is_file():
            return {}
        explored = summarise_exploration(RunDir(self.out / run).read_trials(), [])["tools"]
        distilled = json.loads(summary.read_text())["tools"]
        practice = {}
        for tool in self.tools:
            tried, kept = explored.get(tool.name, {}), distilled.get(tool.name, {})
            practice[tool.name] = {
                "trials": tried.get("trials", 0),
                "solved": tried.get("solved", 0),
                "kept": kept.get("kept", 0),
                "examples": kept.get("examples", 0),
            }
        return practice

    def write_results(self) -> dict[str, Any]:
        conditions: dict[str, Any] = {}
        explored = self.settings.explore
        names = {
            "baseline": "baseline",
            "icl": "STE in-context (k demonstrations)",
            "notes": f"STE tool notes ({NOTES_PLACES[self.settings.notes_for]})",
            "icl-notes": f"STE in-context + tool notes ({NOTES_PLACES[self.settings.notes_for]})",
        }
        last = names["icl-notes"] if self.settings.notes else names["icl"]
        names["icl-checked"] = f"{last}, the call checked against the request"
        if self.settings.train is not None and self.native_baseline_needed:
            names["baseline-native"] = f"baseline, {self.train_base}, native protocol"
        names["finetuned"] = f"STE fine-tuned {self.train_base}, native protocol"
        for ablation in self.settings.ablations:
            names[f"icl-no-{ablation}"] = f"STE in-context, no {ablation}"
        for folder, label in names.items():
            path = self.out / folder / "summary.json"
            if path.exists():
                summary = json.loads(path.read_text())
                conditions[label] = {"folder": folder, **summary, **self._vs_baseline(folder)}
        results = {
            "bench": self.bench,
            "model": self.settings.model,
            "settings": self.settings.record(),
            "stage_settings": self.settings.stages(),
            "conditions": conditions,
            "practice": self.practice("explore", "dataset"),
            "stages": {k: v for k, v in self.stages.items() if v.get("done")},
            "budget": {
                "episodes x trials per tool": f"{explored.episodes} x {explored.trials}",
                "examples per tool": self.settings.distill.target_per_tool,
                "demonstrations": self.settings.icl.k,
                "test items": len(self.tests),
            },
        }
        write_json(self.out / "results.json", results)
        (self.out / "results.md").write_text(results_markdown(results))
        return results
