"""JSON from a model's reply, read with limits: untrusted text cannot crash the reader.

A reply's arguments may be anything a model (or a hostile endpoint) writes: megabytes of
text, an array nested 100,000 deep (a RecursionError in `json`), a 5,000-digit integer (a
ValueError past Python's digit limit). `loads` refuses each with a `ReplyLimitError` whose
message says which limit, so the agent can tell the model instead of the run crashing.
"""

from __future__ import annotations

import json
from typing import Any

MAX_CHARS = 65_536  # of one call's arguments
MAX_DEPTH = 32  # nested arrays/objects
MAX_INT_DIGITS = 40


class ReplyLimitError(ValueError):
    """JSON text past a limit (size, nesting depth, length of a number)."""


def _depth(text: str, start: int = 0) -> int:
    """The deepest nesting of arrays/objects in `text[start:]`, strings skipped."""
    depth = deepest = 0
    in_string = escaped = False
    for char in text[start:]:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > MAX_DEPTH:
                    return deepest
        elif char in "]}":
            depth -= 1
    return deepest


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ReplyLimitError(f"a number with {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def _constant(name: str) -> Any:
    raise ReplyLimitError(f"{name} is not a JSON number")


def _check(text: str, start: int = 0) -> None:
    if len(text) - start > MAX_CHARS:
        raise ReplyLimitError(f"{len(text) - start} characters (at most {MAX_CHARS})")
    if _depth(text, start) > MAX_DEPTH:
        raise ReplyLimitError(f"nested more than {MAX_DEPTH} levels deep")


_DECODER = json.JSONDecoder(parse_int=_integer, parse_constant=_constant)


def loads(text: str) -> Any:
    """`json.loads` within the limits; raises json.JSONDecodeError or ReplyLimitError."""
    _check(text)
    return _DECODER.decode(text)


def raw_decode(text: str, start: int = 0) -> tuple[Any, int]:
    """`JSONDecoder.raw_decode` within the limits (the first JSON value from `start`)."""
    _check(text, start)
    return _DECODER.raw_decode(text, start)
