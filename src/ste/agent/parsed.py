"""What one model reply means: a tool call, a final answer, or a mistake to correct."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Action:
    name: str
    arguments: dict[str, Any]
    thought: str = ""
    call_id: str = ""


@dataclass
class FinalAnswer:
    answer: str
    thought: str = ""


@dataclass
class ParseError:
    """`message` is the corrective observation the model sees next."""

    message: str
    thought: str = ""
    call_id: str = ""  # set when the mistake was a native tool call, which needs its own reply
    # the reply meant to answer ("I now know the final answer") but gave no answer: where no
    # tool was called yet, the model is told to call one, not to write the answer it lacks
    announces_answer: bool = False


Parsed = Action | FinalAnswer | ParseError
