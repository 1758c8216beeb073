"""The memories of exploration: reading an imagined query, and the long-term memory prompt."""

from __future__ import annotations

import re

from ste.prompts import render

_LABEL = re.compile(
    r"^[\s>*_#`\"]*(?:synthesi[sz]ed\s+)?(?:user\s+)?(?:query|request|question)\s*"
    r"(?:\([^)]*\))?\s*[:\-]\s*",
    re.IGNORECASE,
)
_SOLVING = re.compile(
    r"^\s*[>*_#`]*\s*(?:thought|action|action input|observation|final answer)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
MAX_QUERY_CHARS = 600


def clean_query(text: str) -> str:
    """The request in an imagination reply, or "" when there is none.

    Models add labels ("User Query:"), quotes and fences, or start solving the request
    right away; only the request itself is kept.
    """
    text = (text or "").replace("```", "").strip()
    solving = _SOLVING.search(text)
    if solving:
        text = text[: solving.start()]
    text = _LABEL.sub("", text.strip())
    text = " ".join(text.split()).strip().strip("*_`").strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        text = text[1:-1].strip()
    return text if len(text) <= MAX_QUERY_CHARS else ""


def verdict_word(solved: bool | None) -> str:
    return {True: "yes", False: "no", None: "not judged"}[solved]


def memory_prompt(memory: list[tuple[str, bool | None]]) -> str:
    """The long-term memory: every earlier query of this tool and whether it was fulfilled."""
    entries = "\n".join(
        f"- {query} (fulfilled: {verdict_word(ok)})" for query, ok in memory if query
    )
    return render("explore_memory", entries=entries)
