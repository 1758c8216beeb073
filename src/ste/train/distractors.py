"""Offer each training chat's tools among other tools of the training set.

A distilled example offers only the tool it explored, but at inference the model sees a
whole toolbox (the dev bench offers 12 tools, ToolBench 15 APIs per query). Trained on
single-tool chats, a model learns "call the tool you are given" rather than "pick the tool
that fits the request". So each chat gets up to `count` distractors: other tools that occur
in the training set, drawn per chat from the seed, shuffled in with its own tools. Chats
without tools (general instruction data) are left as they are.
"""

from __future__ import annotations

import random
from typing import Any

Chat = dict[str, Any]

DEFAULT_DISTRACTORS = 4


def tool_name(spec: dict[str, Any]) -> str:
    return str(spec.get("function", {}).get("name", ""))


def tool_pool(chats: list[Chat]) -> dict[str, dict[str, Any]]:
    """Every distinct tool spec of the chats, by name (the first spec seen of each name)."""
    pool: dict[str, dict[str, Any]] = {}
    for chat in chats:
        for spec in chat.get("tools") or []:
            pool.setdefault(tool_name(spec), spec)
    return pool


def add_distractors(chats: list[Chat], count: int, seed: int = 0) -> list[Chat]:
    """New chats whose `tools` hold their own tools plus up to `count` others, shuffled."""
    if count <= 0:
        return chats
    pool = tool_pool(chats)
    result = []
    for index, chat in enumerate(chats):
        own = chat.get("tools") or []
        if not own:
            result.append(chat)
            continue
        own_names = {tool_name(spec) for spec in own}
        others = sorted(name for name in pool if name not in own_names)
        rng = random.Random(f"{seed}/distractors/{index}")
        tools = list(own) + [pool[name] for name in rng.sample(others, min(count, len(others)))]
        rng.shuffle(tools)
        result.append({**chat, "tools": tools})
    return result
