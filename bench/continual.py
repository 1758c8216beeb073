"""Continual learning, the paper's protocol at small scale: tools arrive in batches.

The tools that have both training examples and test items are split into `--batches` (4)
batches, deterministically from `--seed`. Round r fine-tunes the previous round's model on
batch r's examples, once without replay and once with `--replay-share` of the final
training set drawn from the earlier batches' examples (the same `ste train` code:
`ste.train.trainer.train`). After every round the model answers the test items of every
batch seen so far (`--limit-per-batch` of each, spread over its tools; first call only,
native protocol, scored by `ste.eval.runner.score_item`), and a table of correct % per round
and batch is printed, with and without replay. Round 1 is the same in both arms and is
trained once.

    .venv/bin/python bench/continual.py TESTS.jsonl --dataset DATASET_DIR --base MODEL \
        [--max-steps N] [--limit-per-batch N] [--out DIR]

The toolbox is `toolbox.py` beside TESTS (../shared/bench/FORMAT.md); a test item's tool is
its `expected[0].name`, a training chat's tool is its first call's. Without a distilled
dataset, `--plumbing-examples N` builds one from the first N test items of each tool (their
expected call executed on the real tool) and tests on the remaining items only: a check of
the machinery, not of learning.

Results: OUT/results.json and the table on stdout; per round OUT/ARM/roundR/ holds the
training summary and log, and eval_batchB.jsonl the scored items.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import shutil
import sys
import time
from collections import defaultdict
from itertools import chain, zip_longest
from pathlib import Path
from typing import Any

from ste.errors import SteError
from ste.eval.runner import EvalSettings, score_item
from ste.eval.testset import TestItem, load_tests
from ste.tools import Tool, execute, load_tools
from ste.train.data import load_dataset_chats
from ste.train.trainer import TrainSettings, quiet_libraries, train

ARMS = ("no replay", "replay")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def chat_tool(chat: dict[str, Any]) -> str | None:
    """The tool a training chat teaches: its first call's."""
    for message in chat["messages"]:
        for call in message.get("tool_calls") or []:
            return str(call["function"]["name"])
    return None


def split_tools(names: list[str], batches: int, seed: int) -> list[list[str]]:
    """Deal the shuffled tools round-robin into batches (sizes differ by at most one)."""
    shuffled = sorted(names)
    random.Random(seed).shuffle(shuffled)
    return [sorted(shuffled[b::batches]) for b in range(batches)]


def spread(items: list[TestItem], limit: int | None) -> list[TestItem]:
    """Up to `limit` items taking each tool's in turn, so every tool of a batch is tested."""
    by_tool: dict[str, list[TestItem]] = defaultdict(list)
    for item in items:
        by_tool[item.tool].append(item)
    turns = zip_longest(*(by_tool[name] for name in sorted(by_tool)))
    ordered = [item for item in chain.from_iterable(turns) if item is not None]
    return ordered[:limit] if limit else ordered


async def plumbing_chats(
    tools: list[Tool], items: list[TestItem], per_tool: int
) -> tuple[list[dict[str, Any]], list[TestItem]]:
    """Training chats from the first `per_tool` items of each tool; the rest stay tests."""
    by_name = {t.name: t for t in tools}
    seen: dict[str, int] = defaultdict(int)
    chats, rest = [], []
    for item in items:
        if seen[item.tool] >= per_tool:
            rest.append(item)
            continue
        seen[item.tool] += 1
        call = item.expected[0]
        result = await execute(by_name[call.name], call.arguments)
        arguments = json.dumps(call.arguments, ensure_ascii=False)
        chats.append(
            {
                "messages": [
                    {"role": "user", "content": item.query},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "id": "call_1",
                                "type": "function",
                                "function": {"name": call.name, "arguments": arguments},
                            }
                        ],
                    },
                    {"role": "tool", "tool_call_id": "call_1", "content": result.observation},
                    {"role": "assistant", "content": f"The tool answered: {result.observation}"},
                ],
                "tools": [by_name[call.name].openai_spec()],
            }
        )
    return chats, rest


def write_dataset(path: Path, chats: list[dict[str, Any]]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    with (path / "openai.jsonl").open("w", encoding="utf-8") as sink:
        for chat in chats:
            sink.write(json.dumps(chat, ensure_ascii=False) + "\n")
    return path


def settings_for(args: argparse.Namespace, replay: list[str]) -> TrainSettings:
    return TrainSettings(
        epochs=args.epochs,
        lr=args.lr,
        max_steps=args.max_steps,
        grad_accum=args.grad_accum,
        max_length=args.max_length,
        replay=replay,
        general=args.general,
        seed=args.seed,
        save_steps=10**9,  # rounds are short; no mid-round checkpoints
    )


async def evaluate(
    model_dir: Path, tools: list[Tool], tests: list[list[TestItem]], out: Path, max_tokens: int
) -> list[dict[str, Any]]:
    """Correct % of each seen batch's items, each batch's records in eval_batchB.jsonl."""
    from ste.models.transformers_backend import TransformersModel

    model = TransformersModel(model_dir)
    settings = EvalSettings(protocol="native", max_tokens=max_tokens, seed=0)
    scores = []
    for index, items in enumerate(tests):
        records = [await score_item(model, tools, item, settings) for item in items]
        path = out / f"eval_batch{index + 1}.jsonl"
        path.write_text("".join(json.dumps(r.dump(), ensure_ascii=False) + "\n" for r in records))
        correct = sum(r.correct for r in records)
        scores.append({"batch": index + 1, "n": len(records), "correct": correct})
    return scores


def run_round(
    args: argparse.Namespace,
    arm: str,
    index: int,
    base: str,
    data: Path,
    replay: list[str],
    tools: list[Tool],
    tests: list[list[TestItem]],
) -> dict[str, Any]:
    out = args.out / arm.replace(" ", "_") / f"round{index + 1}"
    if out.exists():
        shutil.rmtree(out)
    log(f"[{arm}] round {index + 1}: training on {data} from {base}")
    started = time.monotonic()
    summary = train(data, base, out, settings_for(args, replay))
    shutil.rmtree(out / "checkpoints", ignore_errors=True)
    first, last = summary["first_loss"], summary["last_loss"]
    losses = f"{first:.4f} -> {last:.4f}" if first is not None and last is not None else "-"
    log(f"[{arm}] round {index + 1}: {summary['steps']} steps, loss {losses}; evaluating")
    scores = asyncio.run(evaluate(out / "merged", tools, tests[: index + 1], out, args.max_tokens))
    return {
        "arm": arm,
        "round": index + 1,
        "model": str(out / "merged"),
        "train": {k: summary[k] for k in ("steps", "examples", "first_loss", "last_loss", "mix")},
        "scores": scores,
        "seconds": round(time.monotonic() - started, 1),
    }


def percent(score: dict[str, Any]) -> str:
    return f"{100 * score['correct'] / score['n']:.0f}% ({score['correct']}/{score['n']})"


def table(results: list[dict[str, Any]], batches: int) -> str:
    header = "| arm | round | " + " | ".join(f"batch {b + 1}" for b in range(batches))
    lines = [header + " | seen |", "|---" * (batches + 3) + "|"]
    for row in results:
        cells = [percent(s) for s in row["scores"]] + ["-"] * (batches - len(row["scores"]))
        seen = {
            "correct": sum(s["correct"] for s in row["scores"]),
            "n": sum(s["n"] for s in row["scores"]),
        }
        lines.append(
            f"| {row['arm']} | {row['round']} | " + " | ".join(cells) + f" | {percent(seen)} |"
        )
    return "\n".join(lines)


def prepare(args: argparse.Namespace) -> tuple[list[Tool], list[list[str]], list[Path], Any]:
    """Tools, tool batches, one dataset dir per batch, and each batch's test items."""
    toolbox = args.tests.parent / "toolbox.py"
    tools = load_tools(str(toolbox) if toolbox.is_file() else None)
    items = load_tests(args.tests, [t.name for t in tools])
    if args.dataset:
        chats = load_dataset_chats(args.dataset)
    elif args.plumbing_examples:
        chats, items = asyncio.run(plumbing_chats(tools, items, args.plumbing_examples))
    else:
        raise SteError("give --dataset DIR (a `ste distill` output) or --plumbing-examples N")
    by_tool: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for chat in chats:
        name = chat_tool(chat)
        if name:
            by_tool[name].append(chat)
    names = sorted(set(by_tool) & {item.tool for item in items})
    if len(names) < args.batches:
        raise SteError(f"only {len(names)} tools have both examples and tests")
    batches = split_tools(names, args.batches, args.seed)
    data_dirs, tests = [], []
    for index, batch in enumerate(batches):
        batch_chats = [chat for name in batch for chat in by_tool[name]]
        if args.examples_per_batch:
            random.Random(f"{args.seed}/{index}").shuffle(batch_chats)
            batch_chats = batch_chats[: args.examples_per_batch]
        data_dirs.append(write_dataset(args.out / "data" / f"batch{index + 1}", batch_chats))
        batch_items = [item for item in items if item.tool in batch]
        tests.append(spread(batch_items, args.limit_per_batch))
    return tools, batches, data_dirs, tests


def earlier(args: argparse.Namespace, data_dirs: list[Path], index: int) -> Path:
    """One replay source: every example of the batches before round `index`."""
    text = "".join((d / "openai.jsonl").read_text(encoding="utf-8") for d in data_dirs[:index])
    path = args.out / "data" / f"before{index + 1}"
    path.mkdir(parents=True, exist_ok=True)
    (path / "openai.jsonl").write_text(text, encoding="utf-8")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("tests", type=Path, help="tests.jsonl (toolbox.py beside it)")
    parser.add_argument("--dataset", type=Path, help="a `ste distill` output directory")
    parser.add_argument("--plumbing-examples", type=int, help="no dataset: N test items per tool")
    parser.add_argument("--base", default="qwen2.5-coder-0.5b")
    parser.add_argument("--out", type=Path, default=Path("runs/continual"))
    parser.add_argument("--batches", type=int, default=4)
    parser.add_argument("--replay-share", type=float, default=0.25)
    parser.add_argument("--general", help='JSONL of {"messages": [...]} chats, in both arms')
    parser.add_argument("--max-steps", type=int)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float)
    parser.add_argument("--grad-accum", type=int, default=8)
    parser.add_argument("--max-length", type=int, default=2048)
    parser.add_argument("--examples-per-batch", type=int, help="cap a batch's training examples")
    parser.add_argument("--limit-per-batch", type=int, help="test items per batch")
    parser.add_argument("--max-tokens", type=int, default=256)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep-models", action="store_true", help="keep every round's merged/")
    args = parser.parse_args()
    quiet_libraries()
    try:
        results = run(args)
    except SteError as error:
        sys.exit(f"error: {error}")
    print(table(results, args.batches))


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    tools, batches, data_dirs, tests = prepare(args)
    for index, batch in enumerate(batches):
        log(f"batch {index + 1}: {', '.join(batch)} ({len(tests[index])} test items)")
    first = run_round(args, "both", 0, args.base, data_dirs[0], [], tools, tests)
    results = [first]
    for arm in ARMS:
        base = first["model"]
        for index in range(1, args.batches):
            replay = []
            if arm == "replay":
                replay = [f"{earlier(args, data_dirs, index)}:{args.replay_share}"]
            row = run_round(args, arm, index, base, data_dirs[index], replay, tools, tests)
            if not args.keep_models and base != first["model"]:
                shutil.rmtree(Path(base), ignore_errors=True)
            base = row["model"]
            results.append(row)
        if not args.keep_models:
            shutil.rmtree(Path(base), ignore_errors=True)
    if not args.keep_models:
        shutil.rmtree(Path(first["model"]), ignore_errors=True)
    (args.out / "results.json").write_text(
        json.dumps({"batches": batches, "rounds": results}, indent=2)
    )
    return results


if __name__ == "__main__":
    main()
