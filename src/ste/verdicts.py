"""Reading a Yes/No verdict from a model's reply.

Reflection, the argument judge and the distillation judge all ask for a reply that starts
with "Yes" or "No". Models decorate that ("**Yes.**", "Answer: No -", "> yes"), so the
verdict is the first word after such decoration; anything else is unparsable (None), never
guessed from a substring ("No." inside "No. of items" is not a verdict).
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
ATTEMPTS = 2  # a reply that cannot be read is asked once more, then given up on

_DECORATION = re.compile(r"^[\s>*_#`\"'\[\(-]*")
_LABEL = re.compile(
    r"^(?:final\s+)?(?:answer|judg(?:e)?ment|verdict|response|reflection|decision)\s*[:\-]\s*",
    re.IGNORECASE,
)
_FIRST_WORD = re.compile(r"^([A-Za-z]+)")


def parse_yes_no(text: str) -> bool | None:
    """True for a reply starting with Yes, False for No, None when it starts with neither."""
    rest = _DECORATION.sub("", text or "")
    rest = _DECORATION.sub("", _LABEL.sub("", rest))
    match = _FIRST_WORD.match(rest)
    if not match:
        return None
    word = match.group(1).lower()
    return {"yes": True, "no": False}.get(word)


def reason_after_verdict(text: str, limit: int = 300) -> str:
    """The reply without its leading verdict word, for logs and reasons."""
    rest = _DECORATION.sub("", text or "")
    rest = _DECORATION.sub("", _LABEL.sub("", rest))
    rest = re.sub(r"^(yes|no)\b[\s.,:;!*_-]*", "", rest, flags=re.IGNORECASE)
    return " ".join(rest.split())[:limit]


async def ask_until_read(
    ask: Callable[[int], Awaitable[str]],
    read: Callable[[str], T | None],
    remind: Callable[[str], None],
    attempts: int = ATTEMPTS,
) -> tuple[T | None, list[str]]:
    """Ask (`ask(attempt)` returns the reply); a reply `read` cannot read (None) gets
    `remind(reply)` (which adds the reminder to the conversation) and is asked again.
    Returns what was read, or None after `attempts`, and every reply."""
    replies: list[str] = []
    for attempt in range(attempts):
        if attempt:
            remind(replies[-1])
        reply = await ask(attempt)
        replies.append(reply)
        value = read(reply)
        if value is not None:
            return value, replies
    return None, replies
