"""Retrieved examples written as complete dialogues in the protocol in use, within a budget."""

from __future__ import annotations

import json

from ste.distill.example import Example
from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.icl.bank import DemoBank
from ste.prompts import render

CHARS_PER_TOKEN = 4  # a rough count; the budget only needs to be about right


def as_react(example: Example) -> str:
    lines = [f"User Query: {example.query}"]
    for turn in example.turns:
        lines += [
            f"Action: {turn.name}",
            f"Action Input: {json.dumps(turn.arguments, ensure_ascii=False)}",
            f"Observation: {turn.observation}",
        ]
    lines += ["Thought: I now know the final answer", f"Final Answer: {example.final_answer}"]
    return "\n".join(lines)


def as_native(example: Example) -> str:
    lines = [f"User: {example.query}"]
    for turn in example.turns:
        call = {"name": turn.name, "arguments": turn.arguments}
        lines += [
            f"Tool call: {json.dumps(call, ensure_ascii=False)}",
            f"Tool result: {turn.observation}",
        ]
    lines.append(f"Answer: {example.final_answer}")
    return "\n".join(lines)


def successful_only(example: Example) -> Example:
    """The example without the failed calls before its successful one.

    A recovery shown whole starts with the call that failed, and a model scored on its first
    call imitates that call (seen on the dev set: convert_time's recoveries taught bare city
    names the tool rejects)."""
    if not example.recovered:
        return example
    successful = [turn for turn in example.turns if turn.ok]
    return example.model_copy(update={"turns": successful[-1:]})


def render_demonstrations(
    examples: list[Example],
    protocol: str,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    turns: str = "all",
) -> tuple[str, int]:
    """The examples (most similar first) as dialogues: (text, how many fit). The least similar
    are dropped until the text fits the budget; the most similar is written last, nearest to
    the request. `turns="successful"` shows recoveries by their successful call only."""
    write = as_react if protocol == "react" else as_native
    if turns == "successful":
        examples = [successful_only(e) for e in examples]
    dialogues = [write(e) for e in examples]
    while dialogues and sum(len(d) for d in dialogues) / CHARS_PER_TOKEN > token_budget:
        dialogues.pop()
    return "\n\n---\n\n".join(reversed(dialogues)), len(dialogues)


def preface(demonstrations: str, notes: str = "") -> str:
    """The text put before the request in its user message: the demonstrations, then a
    tool's notes. The system prompt stays the same for every request, so a local model's KV
    cache keeps it."""
    if not demonstrations:
        return render("icl_notes_alone", notes=notes) if notes else ""
    notes = f"{notes}\n\n" if notes else ""
    return render("icl_demonstrations", demonstrations=demonstrations, notes=notes)


def demonstrations_for(
    bank: DemoBank,
    query: str,
    tool_names: list[str] | None,
    protocol: str,
    k: int = DEFAULT_K,
    token_budget: int = DEFAULT_TOKEN_BUDGET,
    turns: str = "all",
    notes: str = "",
    prefer: str | None = None,
) -> tuple[str, list[str]]:
    """(the preface to put before the request, ids of the examples shown); `notes`, text to
    show after the examples; `prefer`, the tool whose examples come first."""
    retrieved = bank.retrieve(query, tool_names, k, prefer)
    examples = [r.example for r in retrieved]
    text, shown = render_demonstrations(examples, protocol, token_budget, turns)
    return preface(text, notes), [r.example.id for r in retrieved[:shown]]
