"""What a distillation did, per tool: trials explored and kept, rejections by reason,
paraphrases, examples, recoveries, and the tools that ended with no example at all."""

from __future__ import annotations

from typing import Any

from ste.distill.example import Example
from ste.records import Trial
from ste.tools.tool import Tool


def summarise(
    trials: list[Trial],
    decisions: dict[str, dict[str, Any]],
    examples: list[Example],
    paraphrases: dict[str, list[dict[str, Any]]],
    tools: dict[str, Tool],
) -> dict[str, Any]:
    rows: dict[str, dict[str, Any]] = {}
    for name in tools:
        mine = [d for d in decisions.values() if d["tool"] == name]
        rejected: dict[str, int] = {}
        for decision in mine:
            if not decision["kept"]:
                rejected[decision["rejected_by"]] = rejected.get(decision["rejected_by"], 0) + 1
        attempts = [
            r
            for e in examples
            if e.tool == name and not e.paraphrase_of
            for r in paraphrases.get(e.id, [])
        ]
        rows[name] = {
            "explored": len(mine),
            "kept": sum(d["kept"] for d in mine),
            "rejected": rejected,
            "paraphrases_accepted": sum(r["accepted"] for r in attempts),
            "paraphrases_rejected": sum(not r["accepted"] for r in attempts),
            "examples": sum(e.tool == name for e in examples),
            "recovered": sum(e.tool == name and e.recovered for e in examples),
            # trials whose calls lost an unasked argument that changed nothing
            "pruned": sum(bool(d.get("pruned")) for d in mine),
        }
    explored = len(trials)
    kept = sum(r["kept"] for r in rows.values())
    return {
        "tools": rows,
        "explored": explored,
        "kept": kept,
        "acceptance_pct": round(100 * kept / explored, 1) if explored else None,
        "examples": len(examples),
        "no_examples": [name for name, row in rows.items() if not row["examples"]],
    }
