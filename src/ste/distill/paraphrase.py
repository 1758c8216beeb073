"""Paraphrases of kept queries, each asked to differ from the earlier ones, checked to keep
every value the call's arguments took from the query."""

from __future__ import annotations

import re
from typing import Any

from ste.explore.memory import clean_query
from ste.models.base import ChatModel, Generation, Message
from ste.outcome import leaves
from ste.prompts import render


def paraphrases_per_example(kept: int, target: int, maximum: int) -> int:
    """How many paraphrases each kept example gets (the reference implementation's rule)."""
    if kept == 0:
        return 0
    return max(0, min(round(target / kept) - 1, maximum))


def _forms(value: Any) -> list[str]:
    if isinstance(value, bool) or value is None:
        return []
    if isinstance(value, float) and value.is_integer():
        return [str(int(value)), str(value)]
    return [str(value)]


def names_value(text: str, value: str) -> bool:
    """Whether `text` writes `value` whole (case aside), not inside a longer word or number."""
    pattern = r"(?<![\w.])" + re.escape(value.casefold()) + r"(?![\w])"
    return re.search(pattern, text.casefold()) is not None


def required_values(query: str, arguments: list[dict[str, Any]]) -> list[str]:
    """Argument values written in the query: a paraphrase must keep each of them."""
    values: list[str] = []
    for leaf in (leaf for args in arguments for leaf in leaves(args)):
        for form in _forms(leaf):
            if form.strip() and names_value(query, form) and form not in values:
                values.append(form)
                break
    return values


def check_paraphrase(
    paraphrase: str, original: str, earlier: list[str], values: list[str]
) -> tuple[bool, str]:
    if not paraphrase:
        return False, "no paraphrase in the reply"
    same = {original.casefold().strip(), *(e.casefold().strip() for e in earlier)}
    if paraphrase.casefold().strip() in same:
        return False, "repeats the original or an earlier paraphrase"
    dropped = [v for v in values if not names_value(paraphrase, v)]
    if dropped:
        return False, "drops " + ", ".join(repr(v) for v in dropped)
    return True, "keeps every value"


async def paraphrase_once(
    model: ChatModel, messages: list[Message], query: str, seed: int, temperature: float = 1.0
) -> tuple[str, str]:
    """Ask for the next paraphrase in the conversation `messages`: (paraphrase, raw reply)."""
    prompt = (
        render("distill_paraphrase_first", query=query)
        if not messages
        else render("distill_paraphrase_next")
    )
    messages.append({"role": "user", "content": prompt})
    response = await model.chat(messages, generation=Generation(temperature, 160, seed=seed))
    messages.append({"role": "assistant", "content": response.text.strip()})
    return clean_query(response.text), response.text
