"""How right the examples distillation keeps are: the whole filter (rule checks, re-execution
on the real tools, the LLM judge and the doubts it settles) against trials labelled by hand.

    .venv/bin/python bench/filter_quality.py [--model qwen2.5-coder-1.5b] [--out DIR]
        [--settle-doubts]

The labelled sample is `tests/data/labelled_trials.jsonl` (182 trials of real explorations
of the 12 development tools, each labelled right or wrong with a reason; its regression test,
`tests/test_filter_labels.py`, scores the rule checks alone, without a model). Re-execution
needs the tools' code: the development toolbox, `../shared/bench/dev/toolbox.py` beside the
checkout (or --toolbox); without it that check is skipped and said so. The judge is --model.
Near-duplicate removal and paraphrasing are left out: they do not decide whether an example
is right. Judgments are kept in --out (default a temporary folder), so a rerun with the same
folder asks nothing again.

It prints precision (kept examples that are right) and recall (right examples kept) after
each stage, and the labelled trials the whole filter still keeps wrongly or rejects.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
from pathlib import Path

from ste.distill.pipeline import DistillSettings, distill
from ste.errors import SteError
from ste.models.resolve import load_model
from ste.records import Trial
from ste.tools import load_tools
from ste.tools.tool import described_tool

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "data"
DEV_TOOLBOX = ROOT.parent / "shared" / "bench" / "dev" / "toolbox.py"


def scores(rows: list[tuple[bool, bool]]) -> str:
    kept = [right for right, keep in rows if keep]
    right = sum(r for r, _ in rows)
    precision = sum(kept) / len(kept) if kept else 0.0
    recall = sum(kept) / right if right else 0.0
    return f"precision {precision:.2f} ({sum(kept)}/{len(kept)})  recall {recall:.2f}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="qwen2.5-coder-1.5b")
    parser.add_argument("--toolbox", type=Path, default=DEV_TOOLBOX)
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--settle-doubts", action="store_true", help="let the judge settle doubts (off: reject)"
    )
    args = parser.parse_args()

    specs = json.loads((DATA / "labelled_tools.json").read_text())
    tools = {name: described_tool(spec) for name, spec in specs.items()}
    records = [
        json.loads(line)
        for line in (DATA / "labelled_trials.jsonl").read_text().split("\n")
        if line
    ]
    trials = [Trial.read(r["trial"]) for r in records]
    labels = {t.id: r["right"] for t, r in zip(trials, records, strict=True)}
    runnable = {}
    if args.toolbox.is_file():
        try:
            loaded = {t.name: t for t in load_tools(str(args.toolbox))}
        except SteError as error:
            print(f"{args.toolbox}: {error}; re-execution skipped")
            loaded = {}
        same = {
            n: t for n, t in loaded.items() if n in tools and t.parameters == tools[n].parameters
        }
        runnable = same
        print(f"re-execution on {len(runnable)} of {len(tools)} tools ({args.toolbox})")
    else:
        print(f"no toolbox at {args.toolbox}: re-execution skipped")
    out = args.out or Path(tempfile.mkdtemp(prefix="filter-quality-"))
    out.mkdir(parents=True, exist_ok=True)
    judge = load_model(args.model)
    settings = DistillSettings(
        dedup="lexical", dedup_threshold=1.01, target_per_tool=0, settle_doubts=args.settle_doubts
    )
    asyncio.run(distill(trials, tools, out, settings, judge, None, runnable=runnable))
    decisions = json.loads((out / "decisions.json").read_text())

    def passed(decision: dict, stages: set[str]) -> bool:
        # a doubt the judge settled (it has a question) counts as the judge's, not the rules'
        return all(
            (c["ok"] and not c.get("question")) or c["name"] not in stages
            for c in decision["checks"]
        )

    rule_names = {c["name"] for d in decisions.values() for c in d["checks"]} - {"reproduced"}
    stages = {
        "rules": lambda d: passed(d, rule_names),
        "+ re-execution": lambda d: passed(d, rule_names | {"reproduced"}),
        "+ judge (whole filter)": lambda d: d["kept"] or d["rejected_by"] == "near_duplicate",
    }
    print(f"{len(trials)} labelled trials, {sum(labels.values())} right; judge {args.model}")
    for name, keep in stages.items():
        print(f"{name:24} {scores([(labels[i], keep(d)) for i, d in decisions.items()])}")
    whole = stages["+ judge (whole filter)"]
    for trial, record in zip(trials, records, strict=True):
        decision = decisions[trial.id]
        if whole(decision) != record["right"]:
            said = "kept, wrong" if whole(decision) else f"rejected ({decision['rejected_by']})"
            print(f"  {said}: {trial.id}: {record['reason']}")
    kept: dict[str, list[int]] = {name: [0, 0] for name in tools}
    for trial in trials:
        kept[trial.tool][0] += labels[trial.id]
        kept[trial.tool][1] += whole(decisions[trial.id])
    print("per tool (labelled right / kept by the whole filter):")
    for name, (right, count) in sorted(kept.items()):
        print(f"  {name:24} {right:3} {count:3}")
    print(f"judgments in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
