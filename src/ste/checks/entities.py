"""A check that the entity a call is about comes from the request, not the model's memory.

"What is the capital of the largest country in the world?" needs a tool that finds the
largest country; a tool that looks a country up by its code cannot. A small model then
passes the code of the country it believes is largest (`CHN`), the tool answers for China,
and the trial looks solved: an example that teaches answering from memory, and a wrong one
(the largest country is Russia). The rule: where the request asks for something by a
superlative ("the largest", "the most populous"), each required text argument of a
successful call is named by the request, or the call's result names something the request
does ("Switzerland" for `CHE`); else the call is about an entity the model chose itself.
"""

from __future__ import annotations

import json
import re

from ste.checks.arguments import mentions
from ste.checks.calls import successful_calls
from ste.checks.verdict import Check
from ste.outcome import leaves
from ste.records import Trial
from ste.tools.tool import Tool

__all__ = ["entity_from_request"]

_SUPERLATIVE = re.compile(
    r"\bthe\s+(?:(?:most|least)\s+\w+|\w{2,}est)\b(?!\s+(?:rate|rates|date|dates|time))",
    re.IGNORECASE,
)
# an option's name ("sentence_count", "top-words"): a choice among the tool's, no entity
_OPTION_NAME = re.compile(r"[a-z][a-z0-9]*(?:[_-][a-z0-9]+)+")
_NOT_SUPERLATIVE = {"best", "rest", "interest", "test", "latest", "request", "west", "east"}


def _superlative(query: str) -> str | None:
    for match in _SUPERLATIVE.finditer(query):
        word = match.group(0).split()[-1].casefold()
        if word not in _NOT_SUPERLATIVE:
            return match.group(0)
    return None


def _result_texts(observation: str) -> list[str]:
    try:
        value = json.loads(observation)
    except (json.JSONDecodeError, ValueError, RecursionError):
        return [observation]
    return [leaf for leaf in leaves(value) if isinstance(leaf, str)]


def entity_from_request(trial: Trial, tool: Tool) -> Check:
    superlative = _superlative(trial.query)
    if superlative is None:
        return Check("entity_from_request", True, "the request asks for no entity by a superlative")
    required = tool.parameters.get("required", [])
    properties = tool.parameters.get("properties", {})
    for step in successful_calls(trial):
        assert step.call is not None
        for name in required:
            value = step.call.arguments.get(name)
            if not isinstance(value, str) or mentions(trial.query, value):
                continue
            if "enum" in properties.get(name, {}) or _OPTION_NAME.fullmatch(value):
                continue
            texts = _result_texts(step.observation or "")
            if not any(len(text) > 2 and mentions(trial.query, text) for text in texts):
                return Check(
                    "entity_from_request",
                    False,
                    f"the request asks for {superlative!r}; the call passed {name}={value!r}, "
                    "which neither the request nor the result names: chosen from memory",
                )
    return Check("entity_from_request", True, "every entity the calls are about is the request's")
