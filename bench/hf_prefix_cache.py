"""How much the `hf:` backend's key/value cache reuse saves, side by side.

Asks the first N queries of the bundled test set the way `ste eval --protocol native` does
(system message + every bundled tool + the query, greedy, first reply only), alternating
per query between a model that reuses the cache of the shared prefix and one that does
not, and prints the median seconds per query of each, their ratio, the prompt tokens
evaluated, and whether both gave the same replies (they must: reuse changes no result).

    .venv/bin/python bench/hf_prefix_cache.py runs/model/merged --items 10
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from ste.agent.native import NativeProtocol
from ste.eval.testset import load_tests
from ste.models.base import Generation
from ste.models.transformers_backend import TransformersModel
from ste.tools import BUNDLED_TESTS, load_tools


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model_dir", type=Path, help="a Hugging Face model directory")
    parser.add_argument("--items", type=int, default=10)
    parser.add_argument("--max-tokens", type=int, default=96)
    args = parser.parse_args()

    tools = load_tools()
    tests = load_tests(BUNDLED_TESTS)[: args.items]
    protocol = NativeProtocol()
    specs = protocol.tools_param(tools)
    models = {
        "reuse": TransformersModel(args.model_dir, reuse_cache=True),
        "no reuse": TransformersModel(args.model_dir, reuse_cache=False),
    }
    seconds: dict[str, list[float]] = {name: [] for name in models}
    evaluated = dict.fromkeys(models, 0)
    sent = dict.fromkeys(models, 0)
    replies: dict[str, list[str]] = {name: [] for name in models}
    warm = protocol.first_messages(tools, "warm-up")
    for model in models.values():  # load the weights and fill the cache before timing
        await model.chat(warm, tools=specs, generation=Generation(max_tokens=1))
    for index, item in enumerate(tests):
        order = list(models) if index % 2 == 0 else list(reversed(models))
        for name in order:
            started = time.perf_counter()
            response = await models[name].chat(
                protocol.first_messages(tools, item.query), tools=specs,
                generation=Generation(max_tokens=args.max_tokens),
            )  # fmt: skip
            seconds[name].append(time.perf_counter() - started)
            evaluated[name] += response.usage.evaluated_prompt_tokens
            sent[name] += response.usage.prompt_tokens
            replies[name].append(response.text)
    print(f"{args.model_dir}: {len(tests)} bundled queries, {len(tools)} tools offered, native")
    print(f"{'':>9} {'median s':>9} {'prompt tokens sent':>19} {'evaluated':>10}")
    for name in models:
        median = statistics.median(seconds[name])
        print(f"{name:>9} {median:9.2f} {sent[name]:19,} {evaluated[name]:10,}")
    ratio = statistics.median(seconds["no reuse"]) / statistics.median(seconds["reuse"])
    print(f"reuse is {ratio:.2f}x faster (median per query)")
    same = replies["reuse"] == replies["no reuse"]
    print("replies identical" if same else "REPLIES DIFFER between reuse and no reuse")
    if not same:
        sys.exit(1)  # reuse must not change what the model says: a failed check, loudly


if __name__ == "__main__":
    asyncio.run(main())
