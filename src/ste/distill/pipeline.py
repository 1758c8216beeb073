"""`ste distill`: from an exploration run to a verified, deduplicated, paraphrased dataset.

Stages, in order: rule checks -> LLM judge -> near-duplicate removal -> paraphrase -> split ->
export. Judgments and paraphrases are appended to JSONL files as they are made, so an
interrupted distillation continues where it stopped; everything after them is recomputed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from ste import __version__, workdir
from ste.checks.rules import rule_checks
from ste.distill.answer_again import ANSWERS
from ste.distill.dedup import (
    DEFAULT_THRESHOLDS,
    calls_key,
    choose_method,
    near_duplicates,
    similarity_function,
)
from ste.distill.example import Example, example_id, from_trial, split_of
from ste.distill.export import export_all
from ste.distill.judge import JUDGMENTS, decision, judge_pending, settled
from ste.distill.notes import note_texts, refined_toolbox, write_notes
from ste.distill.paraphrase import (
    check_paraphrase,
    paraphrase_once,
    paraphrases_per_example,
    required_values,
)
from ste.distill.pruning import prune
from ste.distill.repair import Repairer
from ste.distill.reproduction import earlier_calls, reproduced
from ste.distill.request_again import REQUESTS
from ste.distill.reword import REWORDINGS, reword_all, reworded
from ste.distill.summary import summarise
from ste.errors import SteError
from ste.explore.rundir import RunDir
from ste.explore.settings import tool_fingerprint, trial_seed
from ste.jsonl import append_jsonl, read_jsonl, write_json
from ste.models.base import ChatModel, Message
from ste.models.metered import MeteredModel
from ste.models.retry import RequestFailed
from ste.records import Trial
from ste.tools import load_tools
from ste.tools.effects import SideEffectPolicy, apply_policy
from ste.tools.tool import Tool, described_tool

LEDGER = "usage.jsonl"
# stages added on by default: a manifest leaves them out while on, so that a dataset of an
# earlier version continues with them
_ON_BY_DEFAULT = ("reword", "answer_again", "request_again")
PARAPHRASES = "paraphrases.jsonl"
REFINED = "toolbox.refined.json"  # the tools' specs with their notes in the descriptions
Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass
class DistillSettings:
    require_reflection: bool = True
    judge: bool = True
    # a doubt (a check that failed with a question) is asked of the judge, whose Yes keeps
    # the example; off, a doubt rejects. Off by default: on the labelled sample the 1.5B
    # judge said Yes to all 3 doubts, each a wrong example (bench/filter_quality.py)
    settle_doubts: bool = False
    last_call_only: bool = False
    dedup: str = "auto"  # auto, embedding or lexical
    dedup_threshold: float | None = None
    target_per_tool: int = 150
    max_paraphrases: int = 6
    dev_share: float = 0.0
    seed: int = 0
    notes: bool = False  # write verified tool notes (notes.json, notes.md); opt-in, see README
    # drop from a successful call the optional arguments the request does not name that,
    # run again without them, change nothing (`ste.distill.pruning`)
    prune: bool = True
    # a kept request naming a value in the tool's form ("the code FRA") asked for in the
    # user's words ("France"), the call kept (`ste.distill.reword`)
    reword: bool = True
    # a trial failing only checks of its answer answered again from its results, kept if
    # every check then passes (`ste.distill.answer_again`)
    answer_again: bool = True
    # a trial whose request alone is at fault (it left out values its call chose, or no user
    # would write it) asked for again from its call and result in a fresh conversation, and
    # answered again (`ste.distill.request_again`)
    request_again: bool = True


class _Ledger:
    def __init__(self, path: Path) -> None:
        self.path = path

    def append(self, entry: dict[str, Any]) -> None:
        append_jsonl(self.path, entry, fsync=False)


def prepare(
    run: Path, out: Path, settings: DistillSettings, models: dict[str, str], force: bool
) -> tuple[list[Trial], dict[str, Tool], dict[str, Any]]:
    """Read the run, and create or continue `out` (refusing other settings unless forced)."""
    run_dir = RunDir(run)
    run_manifest = run_dir.read_manifest()
    tools = {spec["name"]: described_tool(spec) for spec in run_manifest["tools"]}
    trials = [t for t in run_dir.read_trials() if t.tool in tools]
    manifest = {
        "kind": "ste-dataset",
        "ste_version": __version__,
        "run": str(Path(run).resolve()),
        "explored_by": run_manifest.get("model"),
        **models,
        # notes off, rewording and answering again on are left out, so that a dataset of an
        # earlier version continues (its kept requests are reworded then, and so on)
        "settings": {
            k: v
            for k, v in asdict(settings).items()
            if not (k == "notes" and not v) and not (k in _ON_BY_DEFAULT and v)
        },
    }
    _, changes = workdir.start(out, manifest, force=force, what="a dataset")
    if changes:  # forced: judgments and paraphrases of other settings start over
        for name in (JUDGMENTS, PARAPHRASES, REWORDINGS, ANSWERS, REQUESTS):
            (out / name).unlink(missing_ok=True)
    return trials, tools, manifest


async def _paraphrase_example(
    model: ChatModel,
    example: Example,
    wanted: int,
    earlier: list[dict[str, Any]],
    seed: int,
    out: Path,
) -> list[dict[str, Any]]:
    """Paraphrases of one example until `wanted` are accepted or 2 x wanted were tried."""
    records = list(earlier)
    messages: list[Message] = []
    for record in records:  # rebuild the conversation: each one is asked to differ
        await _replay(messages, example.query, record["raw"])
    values = required_values(example.query, [t.arguments for t in example.turns])
    while sum(r["accepted"] for r in records) < wanted and len(records) < 2 * wanted:
        index = len(records)
        try:
            text, raw = await paraphrase_once(model, messages, example.query, seed + index)
        except RequestFailed:  # the endpoint failed: the accepted paraphrases stay
            break
        accepted_texts = [r["text"] for r in records if r["accepted"]]
        ok, reason = check_paraphrase(text, example.query, accepted_texts, values)
        record = {
            "source": example.id,
            "index": index,
            "text": text,
            "raw": raw,
            "accepted": ok,
            "reason": reason,
        }
        append_jsonl(out / PARAPHRASES, record)
        records.append(record)
    return records


async def _replay(messages: list[Message], query: str, raw: str) -> None:
    from ste.prompts import render

    prompt = (
        render("distill_paraphrase_first", query=query)
        if not messages
        else render("distill_paraphrase_next")
    )
    messages += [{"role": "user", "content": prompt}, {"role": "assistant", "content": raw.strip()}]


async def distill(
    trials: list[Trial],
    tools: dict[str, Tool],
    out: Path,
    settings: DistillSettings,
    judge: ChatModel | None,
    paraphraser: ChatModel | None,
    *,
    concurrency: int = 1,
    progress: Progress | None = None,
    runnable: dict[str, Tool] | None = None,
) -> dict[str, Any]:
    """Run every stage; write the examples, the exports, the tool notes and a summary;
    return the summary.

    The notes are written by the judge (else the paraphraser) and verified on `runnable`,
    the real tools (default: loaded from the run's toolbox, those unchanged since it ran).
    Every judge, paraphraser and notes request is written to the usage ledger `usage.jsonl`."""
    ledger = _Ledger(out / LEDGER)
    writer = judge or paraphraser  # of the notes; metered below as a stage of its own
    if judge is not None:
        judge = MeteredModel(judge, ledger.append, stage="judge")
    if paraphraser is not None:
        paraphraser = MeteredModel(paraphraser, ledger.append, stage="paraphrase")
    if runnable is None:
        runnable = runnable_tools(Path(workdir.read_manifest(out)["run"]))  # type: ignore[index]
    decisions: dict[str, dict[str, Any]] = {}
    passed: list[Trial] = []
    doubts: dict[str, dict[str, str]] = {}  # trial -> {check: question} for the judge
    settle = settings.judge and settings.settle_doubts  # doubts go to the judge
    repairer = Repairer(out, settings.seed, settings.require_reflection)
    if writer is not None and settings.request_again:
        repairer.requester = MeteredModel(writer, ledger.append, stage="request")
    if writer is not None and settings.answer_again:
        repairer.answerer = MeteredModel(writer, ledger.append, stage="answer")
    for trial in trials:
        pruned: list[str] = []
        if settings.prune and trial.tool in runnable:
            trial, pruned = await prune(trial, runnable[trial.tool])
        checks = rule_checks(trial, tools[trial.tool], settings.require_reflection)
        trial, checks, repairs = await repairer.repair(trial, checks, tools[trial.tool])
        failed = [c for c in checks if not c.ok]
        doubtful = bool(failed) and all(c.question for c in failed) and settle
        if (doubtful or not failed) and trial.tool in runnable:
            before = earlier_calls(trials, trial)  # a stateful tool is replayed to this point
            checks.append(await reproduced(trial, runnable[trial.tool], before=before))
        failed = [c for c in checks if not c.ok]
        if failed and all(c.question for c in failed) and settle and judge is not None:
            doubts[trial.id] = {c.name: c.question for c in failed}
        decisions[trial.id] = decision(trial, checks)
        decisions[trial.id].update(repairs)
        if pruned:
            decisions[trial.id]["pruned"] = pruned
        if not failed or trial.id in doubts:
            passed.append(trial)

    if settings.judge and judge is not None:
        judgments, unjudged = await judge_pending(
            judge, passed, tools, settings.last_call_only, out, concurrency, progress, doubts
        )
        for trial in list(passed):
            if trial.id in unjudged:
                reason = f"{unjudged[trial.id]} (run distill again to judge it)"
                decisions[trial.id].update(kept=False, rejected_by="judge_failed", reason=reason)
                passed.remove(trial)
                continue
            judgment = judgments[trial.id]
            decisions[trial.id]["judge"] = judgment.criteria
            if not judgment.ok:
                decisions[trial.id].update(kept=False, rejected_by="judge", reason=judgment.reason)
                passed.remove(trial)
            elif trial.id in doubts:  # the judge settled the doubts: the checks pass
                decisions[trial.id] = decision(trial, settled(decisions[trial.id], judgment))
                decisions[trial.id]["judge"] = judgment.criteria

    method = choose_method(settings.dedup)
    threshold = settings.dedup_threshold or DEFAULT_THRESHOLDS[method]
    similarity = similarity_function(method)
    kept: list[Trial] = []
    for tool in tools:
        of_tool = [t for t in passed if t.tool == tool]
        queries, calls = [t.query for t in of_tool], [calls_key(t) for t in of_tool]
        duplicates = near_duplicates(queries, threshold, similarity, calls)
        for index, trial in enumerate(of_tool):
            if index in duplicates:
                original, score = duplicates[index]
                decisions[trial.id].update(
                    kept=False,
                    rejected_by="near_duplicate",
                    reason=f"near-duplicate of {of_tool[original].id} ({method} {score:.2f})",
                )
            else:
                kept.append(trial)

    specs = {name: tool.openai_spec() for name, tool in tools.items()}
    originals = [from_trial(t, [specs[t.tool]], settings.last_call_only) for t in kept]
    rewordings: dict[str, list[dict[str, Any]]] = {}
    if settings.reword:
        rewordings = await reword_all(originals, tools, paraphraser, out, settings.seed, progress)
        originals = [reworded(e, rewordings.get(e.id, [])) for e in originals]
    paraphrase_records = await _paraphrase_all(
        originals, settings, paraphraser, out, concurrency, progress
    )
    examples = list(originals)
    for original in originals:
        for record in paraphrase_records.get(original.id, []):
            if record["accepted"]:
                examples.append(
                    original.model_copy(
                        update={
                            "id": example_id(original.source_trial, record["index"] + 1),
                            "query": record["text"],
                            "paraphrase_of": original.id,
                        }
                    )
                )
    splits = {
        e.id: split_of(e, settings.dev_share, settings.seed) if settings.dev_share else "train"
        for e in examples
    }
    with (out / "examples.jsonl").open("w", encoding="utf-8") as sink:
        for example in examples:
            sink.write(
                json.dumps(
                    {**example.model_dump(), "split": splits[example.id]}, ensure_ascii=False
                )
                + "\n"
            )
    exports = export_all(examples, out, splits)
    notes = None
    if settings.notes and writer is not None:
        written = 0

        def on_tool(_name: str) -> None:
            nonlocal written
            written += 1
            if progress:
                progress("notes", written, len(tools))

        notes = await write_notes(
            MeteredModel(writer, ledger.append, stage="notes"),
            trials,
            tools,
            runnable,
            out,
            on_tool=on_tool,
        )
        write_json(out / REFINED, refined_toolbox(list(tools.values()), note_texts(notes)))
    (out / "decisions.json").write_text(json.dumps(decisions, indent=1, ensure_ascii=False))
    summary = summarise(trials, decisions, examples, paraphrase_records, tools)
    summary["reworded"] = sum(e.practised_query is not None for e in originals)
    for repaired in ("requested_again", "answered_again"):
        summary[repaired] = sum(bool(d.get(repaired, {}).get("kept")) for d in decisions.values())
    summary.update(dedup=f"{method} >= {threshold}", exports=exports)
    # tools that could not be loaded here as the run explored them (a toolbox moved or
    # edited since, a --no-exec run): their calls were not run again, nor notes written
    summary["not_run_again"] = [name for name in tools if name not in runnable]
    if notes is not None:
        summary["notes"] = {name: len(n.notes) for name, n in notes.items()}
        summary["notes_dropped"] = {name: len(n.dropped) for name, n in notes.items()}
        exports["refined toolbox"] = str(out / REFINED)
    write_json(out / "summary.json", summary)
    return summary


async def _paraphrase_all(
    originals: list[Example],
    settings: DistillSettings,
    paraphraser: ChatModel | None,
    out: Path,
    concurrency: int,
    progress: Progress | None,
) -> dict[str, list[dict[str, Any]]]:
    earlier: dict[str, list[dict[str, Any]]] = {}
    for record in read_jsonl(out / PARAPHRASES):
        earlier.setdefault(record["source"], []).append(record)
    for records in earlier.values():
        records.sort(key=lambda r: r["index"])
    if paraphraser is None or settings.target_per_tool <= 0:
        return earlier
    per_tool: dict[str, int] = {}
    for example in originals:
        per_tool[example.tool] = per_tool.get(example.tool, 0) + 1
    semaphore = asyncio.Semaphore(max(1, concurrency))
    results: dict[str, list[dict[str, Any]]] = {}
    total, done = len(originals), 0

    async def one(example: Example) -> None:
        nonlocal done
        wanted = paraphrases_per_example(
            per_tool[example.tool], settings.target_per_tool, settings.max_paraphrases
        )
        seed = trial_seed(settings.seed, example.id, 0, 0)
        async with semaphore:
            results[example.id] = await _paraphrase_example(
                paraphraser, example, wanted, earlier.get(example.id, []), seed, out
            )
        done += 1
        if progress:
            progress("paraphrase", done, total)

    await asyncio.gather(*(one(e) for e in originals))
    return results


def runnable_tools(run: Path) -> dict[str, Tool]:
    """The run's tools loaded from its toolbox, those whose description and parameters are
    still what the run explored ({} when the toolbox cannot be loaded here, and for a
    `--no-exec` run: tools its user did not let run are not run to check them either)."""
    manifest = RunDir(run).read_manifest()
    if manifest.get("settings", {}).get("execute") is False:
        return {}
    try:
        allowed = manifest.get("settings", {}).get("allow_side_effects")
        loaded = apply_policy(load_tools(manifest.get("toolbox")), SideEffectPolicy.parse(allowed))
    except SteError:
        return {}
    explored = {spec["name"]: spec.get("sha256") for spec in manifest["tools"]}
    return {t.name: t for t in loaded if explored.get(t.name) == tool_fingerprint(t)["sha256"]}
