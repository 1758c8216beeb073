"""Read a directory that ste wrote into plain data for a report: which kind it is, its
headline numbers, the series to plot and a few examples to show.

Four kinds are recognised: an exploration run (`ste explore`), a distilled dataset
(`ste distill`), eval results (`ste eval`) and an experiment (`ste experiment`), whose
subfolders are of the other kinds.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ste.errors import SteError
from ste.jsonl import read_jsonl
from ste.records import EvalRecord
from ste.workdir import manifest_kind

KINDS = {
    "exploration": "an exploration run of `ste explore` (manifest.json of kind ste-exploration)",
    "dataset": "a dataset of `ste distill` (manifest.json of kind ste-dataset)",
    "eval": "eval results of `ste eval` (summary.json or items.jsonl)",
    "experiment": "an experiment of `ste experiment` (results.json or experiment.json)",
}
SHOWN_TRIALS = 4
SHOWN_ITEMS = 4
SHOWN_EXAMPLES = 4


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SteError(f"{path}: unreadable ({error})") from None


def detect(path: Path) -> str:
    """The kind of directory `path` is (a key of KINDS), or an SteError saying what is accepted."""
    path = Path(path)
    if not path.is_dir():
        raise SteError(f"{path}: no such directory")
    kind = manifest_kind(path)
    if kind == "ste-exploration":
        return "exploration"
    if kind == "ste-dataset":
        return "dataset"
    if (path / "results.json").is_file() or (path / "experiment.json").is_file():
        return "experiment"
    summary = (path / "summary.json").is_file() and _read_json(path / "summary.json")
    if isinstance(summary, dict) and "per_tool" in summary and "overall" in summary:
        return "eval"
    items = read_jsonl(path / "items.jsonl")[:1]
    if items and "well_formed" in items[0] and "tool" in items[0]:
        return "eval"  # still running: no summary yet
    accepted = "; ".join(KINDS.values())
    raise SteError(f"{path}: not a directory ste can report on; it takes {accepted}")


def collect(path: Path) -> dict[str, Any]:
    """Everything a report of `path` shows, as plain data (`kind` says which kind)."""
    path = Path(path)
    kind = detect(path)
    reader = {
        "exploration": collect_exploration,
        "dataset": collect_dataset,
        "eval": collect_eval,
        "experiment": collect_experiment,
    }[kind]
    return {"kind": kind, "path": str(path), **reader(path)}


# --- exploration ---------------------------------------------------------------------------


def collect_exploration(path: Path) -> dict[str, Any]:
    from ste.explore.report import summarise
    from ste.explore.rundir import RunDir

    run_dir = RunDir(path)
    manifest = run_dir.read_manifest()
    trials = run_dir.read_trials()
    ledger = run_dir.read_ledger()
    return {
        "manifest": manifest,
        "summary": summarise(trials, ledger),
        "tokens": token_series(ledger),
        "trials_shown": pick_trials([t.dump() for t in trials]),  # pages render plain data
    }


def token_series(ledger: list[dict[str, Any]]) -> dict[str, Any]:
    """Cumulative tokens per model request, against minutes since the first request when every
    request has a time, else against the request's number."""
    timed = bool(ledger) and all(isinstance(e.get("time"), int | float) for e in ledger)
    entries = sorted(ledger, key=lambda e: e["time"]) if timed else ledger
    start = entries[0]["time"] - entries[0].get("seconds", 0) if timed else 0
    x, prompt, evaluated, completion = [], [], [], []
    totals = [0, 0, 0]
    for number, entry in enumerate(entries, 1):
        totals[0] += int(entry.get("prompt_tokens", 0))
        totals[1] += int(entry.get("evaluated_prompt_tokens", entry.get("prompt_tokens", 0)))
        totals[2] += int(entry.get("completion_tokens", 0))
        x.append(round((entry["time"] - start) / 60, 3) if timed else number)
        prompt.append(totals[0])
        evaluated.append(totals[1])
        completion.append(totals[2])
    return {
        "x": x,
        "x_label": "minutes since the first request" if timed else "model request",
        "prompt": prompt,
        "evaluated": evaluated,
        "completion": completion,
    }


# Why a trial is worth showing, in order of interest: (caption, test).
TRIAL_PICKS = (
    ("solved after an error", lambda t: t["solved"] and (t["tool_errors"] or t["format_errors"])),
    ("solved cleanly", lambda t: t["solved"] and not t["tool_errors"] and not t["format_errors"]),
    ("not solved", lambda t: t["solved"] is False),
    ("a malformed reply", lambda t: t["format_errors"]),
    ("a tool error", lambda t: t["tool_errors"]),
)


def _pick(
    records: list[dict[str, Any]],
    picks: tuple[tuple[str, Any], ...],
    count: int,
) -> list[dict[str, Any]]:
    """Up to `count` records, one per pick in order (each first from a tool not shown yet),
    then more of the first picks; each record gets `why`, the caption of its pick."""
    chosen: list[dict[str, Any]] = []
    ids: set[str] = set()
    rounds = 0
    while len(chosen) < count and rounds < 2:
        for caption, test in picks:
            if len(chosen) >= count:
                break
            shown_tools = {c["tool"] for c in chosen}
            matching = [r for r in records if r.get("id") not in ids and test(r)]
            if not matching:
                continue
            fresh = [r for r in matching if r.get("tool") not in shown_tools]
            record = (fresh or matching)[0]
            chosen.append({**record, "why": caption})
            ids.add(record.get("id"))
        rounds += 1
    return chosen


def pick_trials(trials: list[dict[str, Any]], count: int = SHOWN_TRIALS) -> list[dict[str, Any]]:
    # later trials show what the model learnt, so they come first
    ordered = sorted(trials, key=lambda t: (-t.get("episode", 0), -t.get("trial", 0)))
    chosen = _pick(ordered, TRIAL_PICKS, count)
    if len(chosen) < count:
        ids = {c["id"] for c in chosen}
        chosen += [{**t, "why": "a trial"} for t in ordered if t["id"] not in ids]
    return chosen[:count]


# --- dataset -------------------------------------------------------------------------------

RULE_CHECKS = ("finished", "call_succeeded", "arguments_valid", "reflection")


def collect_dataset(path: Path) -> dict[str, Any]:
    manifest = _read_json(path / "manifest.json") or {}
    summary = _read_json(path / "summary.json")
    if not isinstance(summary, dict):
        raise SteError(f"{path}: the distillation has not finished yet (no summary.json)")
    decisions = _read_json(path / "decisions.json") or {}
    examples = read_jsonl(path / "examples.jsonl")
    return {
        "manifest": manifest,
        "summary": summary,
        "funnel": funnel(summary, decisions),
        "rejections": rejection_counts(summary),
        "rejected_shown": [
            {"id": trial_id, **d} for trial_id, d in decisions.items() if not d.get("kept")
        ][:10],
        "examples_shown": pick_examples(examples),
        "splits": {
            split: sum(e.get("split") == split for e in examples)
            for split in sorted({e.get("split", "train") for e in examples})
        },
    }


def rejection_counts(summary: dict[str, Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in summary.get("tools", {}).values():
        for reason, count in row.get("rejected", {}).items():
            counts[reason] = counts.get(reason, 0) + count
    return dict(sorted(counts.items(), key=lambda item: -item[1]))


def funnel(summary: dict[str, Any], decisions: dict[str, Any]) -> list[tuple[str, int]]:
    """(stage, trials or examples left) from the explored trials to the examples."""
    explored = summary.get("explored", len(decisions))
    rejected = rejection_counts(summary)
    by_rules = sum(n for reason, n in rejected.items() if reason in RULE_CHECKS)
    by_judge = rejected.get("judge", 0)
    duplicates = rejected.get("near_duplicate", 0)
    kept = summary.get("kept", explored - sum(rejected.values()))
    stages = [("explored trials", explored), ("passed the checks", explored - by_rules)]
    if by_judge or any("judge" in d for d in decisions.values()):
        stages.append(("passed the judge", explored - by_rules - by_judge))
    if duplicates:
        stages.append(("not near-duplicates", explored - by_rules - by_judge - duplicates))
    if stages[-1][1] != kept:
        stages.append(("kept", kept))
    stages.append(("examples (with paraphrases)", summary.get("examples", kept)))
    return stages


EXAMPLE_PICKS = (
    ("an original trial", lambda e: not e.get("paraphrase_of")),
    ("a paraphrase", lambda e: bool(e.get("paraphrase_of"))),
)


def pick_examples(
    examples: list[dict[str, Any]], count: int = SHOWN_EXAMPLES
) -> list[dict[str, Any]]:
    originals = _pick(examples, EXAMPLE_PICKS[:1] * (count - 1), count - 1)
    chosen = originals + _pick(examples, EXAMPLE_PICKS[1:], 1)
    if len(chosen) < count:
        ids = {c["id"] for c in chosen}
        chosen += [{**e, "why": "an example"} for e in examples if e["id"] not in ids]
    return chosen[:count]


# --- eval ----------------------------------------------------------------------------------


def collect_eval(path: Path) -> dict[str, Any]:
    from ste.eval.summary import summarise_by_tool

    items = read_jsonl(path / "items.jsonl")
    summary = _read_json(path / "summary.json")
    if not (isinstance(summary, dict) and "per_tool" in summary):
        if not items:
            raise SteError(f"{path}: no eval results yet (no summary.json, no items.jsonl)")
        records = [EvalRecord.read(item, f"{path / 'items.jsonl'}") for item in items]
        summary = summarise_by_tool(records)  # a run still going
    manifest = summary.get("manifest") or _read_json(path / "manifest.json") or {}
    return {
        "manifest": manifest,
        "summary": summary,
        "outcomes": outcomes(items),
        "items_shown": pick_items(items),
        "finished": (path / "summary.json").is_file(),
    }


OUTCOMES = ("correct", "wrong arguments", "wrong tool", "no call")


def outcome(item: dict[str, Any]) -> str:
    if not item.get("well_formed"):
        return "no call"
    if not item.get("api_match"):
        return "wrong tool"
    return "correct" if item.get("correct") else "wrong arguments"


def outcomes(items: list[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per tool (and "all"), how many items ended each way of OUTCOMES."""
    table: dict[str, dict[str, int]] = {}
    for item in items:
        for key in (item.get("tool", "?"), "all"):
            row = table.setdefault(key, dict.fromkeys(OUTCOMES, 0))
            row[outcome(item)] += 1
    return dict(sorted(table.items()))


ITEM_PICKS = (
    ("correct", lambda i: outcome(i) == "correct"),
    ("wrong arguments", lambda i: outcome(i) == "wrong arguments"),
    ("wrong tool", lambda i: outcome(i) == "wrong tool"),
    ("no call", lambda i: outcome(i) == "no call"),
)


def pick_items(items: list[dict[str, Any]], count: int = SHOWN_ITEMS) -> list[dict[str, Any]]:
    return _pick(items, ITEM_PICKS, count)


# --- experiment ----------------------------------------------------------------------------

CONDITION_NAMES = {"baseline": "baseline", "icl": "STE in-context (k demonstrations)"}


def collect_experiment(path: Path) -> dict[str, Any]:
    from ste.eval.stats import paired_correct

    results = _read_json(path / "results.json")
    if not isinstance(results, dict):
        # not finished yet: what the finished eval stages hold
        started = _read_json(path / "experiment.json") or {}
        results = {
            "bench": started.get("bench", "?"),
            "model": started.get("model", "?"),
            "settings": started,
            "conditions": {},
            "stages": {
                name: stage
                for name, stage in (_read_json(path / "stages.json") or {}).items()
                if stage.get("done")
            },
            "budget": {},
        }
        for folder in sorted(p.name for p in path.iterdir() if p.is_dir()):
            summary = _read_json(path / folder / "summary.json")
            if isinstance(summary, dict) and "per_tool" in summary:
                label = CONDITION_NAMES.get(folder, folder)
                results["conditions"][label] = {"folder": folder, **summary}
        if "baseline" in results["conditions"]:  # baseline first
            results["conditions"] = {
                "baseline": results["conditions"].pop("baseline"),
                **results["conditions"],
            }
    conditions = results.get("conditions", {})
    baseline = next((c for c in conditions.values() if c.get("folder") == "baseline"), None)
    baseline_items = (
        {i["id"]: i for i in read_jsonl(path / "baseline" / "items.jsonl")} if baseline else {}
    )
    paired: dict[str, dict[str, Any]] = {}
    for label, condition in conditions.items():
        if condition is baseline or not baseline_items:
            continue
        items = read_jsonl(path / condition.get("folder", "") / "items.jsonl")
        pair = paired_correct(
            {i["id"]: bool(i["correct"]) for i in items},
            {key: bool(item["correct"]) for key, item in baseline_items.items()},
        )
        if pair.n:
            paired[label] = {
                "n": pair.n,
                "won": pair.only_a,
                "lost": pair.only_b,
                "p": pair.p_value,
            }
    parts: dict[str, dict[str, Any]] = {}
    for sub in sorted(p for p in path.iterdir() if p.is_dir()):
        kind = manifest_kind(sub)
        try:
            if kind == "ste-exploration":
                parts[sub.name] = {"kind": "exploration", **collect_exploration(sub)}
            elif kind == "ste-dataset" and (sub / "summary.json").is_file():
                parts[sub.name] = {"kind": "dataset", **collect_dataset(sub)}
        except SteError:
            continue  # a stage still being written is left out
    return {"results": results, "paired": paired, "parts": parts}
