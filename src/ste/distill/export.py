"""Every export format, written from the one `Example` type.

- `openai.jsonl`: OpenAI fine-tuning chat format: `messages` (user, assistant `tool_calls`,
  `tool` results, the final assistant answer) and `tools`;
- `hf/` (`datasets.save_to_disk`) and `parquet/`: the same conversations as `messages` plus
  `tools` (a JSON string, since tools' schemas differ), with id, tool and split columns;
- `sharegpt.json`: ShareGPT with `function_call`/`observation` turns and `tools`;
- `paper.json`: the STE reference implementation's flat layout (last call only).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from ste.distill.example import Example

FORMATS = ("openai", "hf", "sharegpt", "paper")


def _call_id(example: Example, index: int) -> str:
    return f"call_{index + 1}"


def openai_messages(example: Example) -> list[dict[str, Any]]:
    messages: list[dict[str, Any]] = [{"role": "user", "content": example.query}]
    for index, turn in enumerate(example.turns):
        call_id = _call_id(example, index)
        messages.append(
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {
                            "name": turn.name,
                            "arguments": json.dumps(turn.arguments, ensure_ascii=False),
                        },
                    }
                ],
            }
        )
        messages.append({"role": "tool", "tool_call_id": call_id, "content": turn.observation})
    messages.append({"role": "assistant", "content": example.final_answer})
    return messages


def openai_record(example: Example) -> dict[str, Any]:
    return {"messages": openai_messages(example), "tools": example.tools}


def sharegpt_record(example: Example) -> dict[str, Any]:
    conversations = [{"from": "human", "value": example.query}]
    for turn in example.turns:
        call = {"name": turn.name, "arguments": turn.arguments}
        conversations.append({"from": "function_call", "value": json.dumps(call)})
        conversations.append({"from": "observation", "value": turn.observation})
    conversations.append({"from": "gpt", "value": example.final_answer})
    return {"conversations": conversations, "tools": json.dumps(example.tools)}


def paper_record(example: Example) -> dict[str, Any]:
    last = example.turns[-1]
    description = next(
        (t["function"]["description"] for t in example.tools if t["function"]["name"] == last.name),
        "",
    )
    return {
        "query": example.query,
        "API_name_list": [t["function"]["name"] for t in example.tools],
        "api_descriptions": description,
        "action": last.name,
        "action_input": json.dumps(last.arguments, ensure_ascii=False),
        "observation": last.observation,
        "final_ans": example.final_answer,
    }


def _hf_rows(examples: list[Example], splits: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for example in examples:
        messages = [
            {
                "role": m["role"],
                "content": m.get("content"),
                "tool_calls": m.get("tool_calls"),
                "tool_call_id": m.get("tool_call_id"),
            }
            for m in openai_messages(example)
        ]
        rows.append(
            {
                "id": example.id,
                "tool": example.tool,
                "split": splits.get(example.id, "train"),
                "messages": messages,
                "tools": json.dumps(example.tools, ensure_ascii=False),
            }
        )
    return rows


def _write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as sink:
        for record in records:
            sink.write(json.dumps(record, ensure_ascii=False) + "\n")


def export_all(
    examples: list[Example], out: Path, splits: dict[str, str], formats: tuple[str, ...] = FORMATS
) -> dict[str, str]:
    """Write every format (per split when there is a dev split); returns {format: path}."""
    written: dict[str, str] = {}
    names = sorted(set(splits.values()) | {"train"})
    by_split = {name: [e for e in examples if splits.get(e.id, "train") == name] for name in names}
    suffix = (lambda name: "") if names == ["train"] else (lambda name: f".{name}")
    if "openai" in formats:
        for name, chosen in by_split.items():
            path = out / f"openai{suffix(name)}.jsonl"
            _write_jsonl(path, [openai_record(e) for e in chosen])
            written[f"openai{suffix(name)}"] = str(path)
    if "sharegpt" in formats:
        for name, chosen in by_split.items():
            path = out / f"sharegpt{suffix(name)}.json"
            path.write_text(json.dumps([sharegpt_record(e) for e in chosen], ensure_ascii=False))
            written[f"sharegpt{suffix(name)}"] = str(path)
    if "paper" in formats:
        for name, chosen in by_split.items():
            path = out / f"paper{suffix(name)}.json"
            records = [paper_record(e) for e in chosen if e.turns]
            path.write_text(json.dumps(records, ensure_ascii=False, indent=1))
            written[f"paper{suffix(name)}"] = str(path)
    if "hf" in formats:
        written.update(_export_hf(examples, out, splits))
    return written


def _export_hf(examples: list[Example], out: Path, splits: dict[str, str]) -> dict[str, str]:
    try:
        import datasets
        from datasets import Dataset, DatasetDict
    except ImportError:
        return {"hf": "skipped: `datasets` is not installed (pip install 'ste[data]')"}
    datasets.disable_progress_bars()
    rows = _hf_rows(examples, splits)
    names = sorted({row["split"] for row in rows}) or ["train"]
    dataset = DatasetDict(
        {name: Dataset.from_list([r for r in rows if r["split"] == name]) for name in names}
    )
    dataset.save_to_disk(str(out / "hf"))
    (out / "parquet").mkdir(exist_ok=True)
    for name, part in dataset.items():
        part.to_parquet(str(out / "parquet" / f"{name}.parquet"))
    return {"hf": str(out / "hf"), "parquet": str(out / "parquet")}
