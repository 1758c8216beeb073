"""`ste eval` on ToolBench-50: run a model on the paper's test set and write its predictions.

Each test item offers the 15 APIs the paper offered (api2neighbors.json) with their
descriptions (API_descriptions.json). The model's first reply is kept, as the paper did, and
written in the paper's layout (`model_output` beside each test item) so that the paper's
scorer (`toolbench.score_prediction_file`) scores it. The APIs are live RapidAPI services
that cannot be reached from here, so nothing is executed.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ste import __version__
from ste.agent import run_agent
from ste.errors import SteError
from ste.eval.toolbench import _read_json
from ste.jsonl import JsonlAppender, read_jsonl
from ste.models.base import ChatModel
from ste.tools.tool import Tool

REQUIRED_FILES = ("tool_test.json", "api2neighbors.json", "API_descriptions.json", "API_list.json")
_TYPES = {"NUMBER": "number", "BOOLEAN": "boolean", "ARRAY": "array"}


def is_toolbench_dir(path: Path) -> bool:
    return path.is_dir() and all((path / name).is_file() for name in REQUIRED_FILES)


@dataclass
class ToolBenchItem:
    api: str  # the gold API
    index: int  # position in tool_test.json's list for that API
    item: dict[str, Any]
    offered: list[str]

    @property
    def id(self) -> str:
        return f"{self.api}#{self.index}"


def _unreachable(name: str) -> Callable[..., Any]:
    def call(**_arguments: Any) -> Any:
        raise ValueError(f"{name} is a live RapidAPI service and cannot be called here")

    return call


def _parameters(description: str) -> dict[str, Any]:
    """JSON Schema from a RapidAPI description; BMTools descriptions state args in prose."""
    try:
        spec = json.loads(description)
    except json.JSONDecodeError:
        return {"type": "object"}
    if not isinstance(spec, dict):
        return {"type": "object"}
    properties: dict[str, Any] = {}
    for group in ("required_parameters", "optional_parameters"):
        for parameter in spec.get(group) or []:
            schema: dict[str, Any] = {"type": _TYPES.get(str(parameter.get("type")), "string")}
            if parameter.get("description"):
                schema["description"] = parameter["description"]
            if group == "optional_parameters" and parameter.get("default") not in (None, ""):
                schema["default"] = parameter["default"]
            properties[parameter["name"]] = schema
    required = [p["name"] for p in spec.get("required_parameters") or []]
    return {"type": "object", "properties": properties, "required": required}


def toolbench_tool(name: str, description: str) -> Tool:
    return Tool(name, description, _parameters(description), _unreachable(name))


def load_toolbench(data_dir: Path) -> tuple[list[ToolBenchItem], dict[str, Tool]]:
    """The 750 test items with the APIs each offers, and every offered API as a Tool."""
    missing = [name for name in REQUIRED_FILES if not (data_dir / name).is_file()]
    if missing:
        raise SteError(f"{data_dir}: not a ToolBench-50 folder (missing {', '.join(missing)})")
    tests = _read_json(data_dir / "tool_test.json", "{API name: [test items]}")
    neighbours = _read_json(data_dir / "api2neighbors.json", "{API name: [API names]}")
    descriptions = _read_json(data_dir / "API_descriptions.json", "{API name: description}")
    items: list[ToolBenchItem] = []
    for api, api_items in tests.items():
        offered = neighbours.get(api)
        if not offered:
            raise SteError(f"{data_dir / 'api2neighbors.json'}: no neighbours for {api!r}")
        unknown = [name for name in offered if name not in descriptions]
        if unknown:
            raise SteError(f"{data_dir / 'API_descriptions.json'}: no description of {unknown}")
        items += [ToolBenchItem(api, i, item, offered) for i, item in enumerate(api_items)]
    names = {name for item in items for name in item.offered}
    tools = {name: toolbench_tool(name, descriptions[name]) for name in sorted(names)}
    return items, tools


def model_output(trajectory_raw: str, call: Any, final_answer: str | None, protocol: str) -> str:
    """The reply as the paper's ReAct scorer reads it (native calls are written as ReAct)."""
    if protocol == "react":
        return trajectory_raw
    if call is not None:
        arguments = json.dumps(call.arguments, ensure_ascii=False)
        return f"Action: {call.name}\nAction Input: {arguments}"
    return f"Final Answer: {final_answer or trajectory_raw}"


async def predict(
    model: ChatModel,
    test: ToolBenchItem,
    tools: dict[str, Tool],
    *,
    protocol: str,
    max_tokens: int,
    seed: int | None,
) -> dict[str, Any]:
    trajectory = await run_agent(
        model,
        [tools[name] for name in test.offered],
        test.item["query"],
        protocol=protocol,  # type: ignore[arg-type]
        max_turns=1,
        stop_at_first_call=True,
        execute_tools=False,
        require_call=False,
        temperature=0.0,
        max_tokens=max_tokens,
        seed=seed,
    )
    first = trajectory.steps[0] if trajectory.steps else None
    output = model_output(first.raw, first.call, first.final_answer, protocol) if first else ""
    return {
        "api": test.api,
        "index": test.index,
        "model_output": output,
        "usage": trajectory.usage.as_dict(),
        "seconds": round(trajectory.seconds, 3),
    }


def manifest(model: ChatModel, data_dir: Path, protocol: str, max_tokens: int, seed: int | None):
    return {
        "ste_version": __version__,
        "benchmark": "toolbench50",
        "data_dir": str(data_dir),
        "model": model.name,
        "protocol": protocol,
        "max_tokens": max_tokens,
        "seed": seed,
    }


def _read_records(path: Path) -> dict[str, dict[str, Any]]:
    return {f"{r['api']}#{r['index']}": r for r in read_jsonl(path)}


async def run_toolbench(
    model: ChatModel,
    tests: list[ToolBenchItem],
    tools: dict[str, Tool],
    out: Path,
    *,
    protocol: str = "react",
    max_tokens: int = 512,
    seed: int | None = 0,
    concurrency: int = 1,
    on_item: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Predict every item not yet in `out/items.jsonl`; write `out/predictions.json`."""
    done = _read_records(out / "items.jsonl")
    todo = [test for test in tests if test.id not in done]
    semaphore = asyncio.Semaphore(max(1, concurrency))
    with JsonlAppender(out / "items.jsonl") as sink:

        async def one(test: ToolBenchItem) -> None:
            async with semaphore:
                record = await predict(
                    model, test, tools, protocol=protocol, max_tokens=max_tokens, seed=seed
                )
            sink.append(record)
            done[test.id] = record
            if on_item:
                on_item(record)

        await asyncio.gather(*(one(test) for test in todo))

    predictions: dict[str, list[dict[str, Any]]] = {}
    for test in tests:
        item = dict(test.item, model_output=done[test.id]["model_output"])
        predictions.setdefault(test.api, []).append(item)
    path = out / "predictions.json"
    path.write_text(json.dumps(predictions, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
