"""Rule check on the optional choices a call makes: an example must not teach a caller to
pick, unasked, an option that changes the answer (business days for a request about
weekends, an inclusive count for "including weekends" said of something else).

An optional argument passed with another value than its default is a choice the request
must support. Numbers and free text are checked by `ste.checks.arguments.grounded`; here
the closed choices: a value of a choice parameter (its enum, or the values its description
quotes) and a flag. The request supports a choice when it names the value or a gloss the
description gives it ("'mi' (statute miles)"), a flag when it names the parameter, each as
a word or a word of the same stem ("including" for `inclusive`). Unsupported, the check
fails with a question for the judge about that argument alone; an option that changes
nothing was already dropped by pruning (`ste.distill.pruning`).
"""

from __future__ import annotations

import json
import re
from typing import Any

from ste.checks.arguments import STEM, choices
from ste.checks.calls import successful_calls
from ste.checks.verdict import Check
from ste.records import Step, Trial
from ste.tools.tool import Tool

_WORD = re.compile(r"[^\W\d_]+")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text.replace("_", " "))]


def _same_word(a: str, b: str) -> bool:
    if a == b or a.rstrip("s") == b.rstrip("s"):
        return True
    return len(a) >= STEM and len(b) >= STEM and a[:STEM] == b[:STEM]


def names_in(request: str, name: str) -> bool:
    """Whether `request` says a word of `name` of 4 letters or more (or one of the same
    stem): 'statute miles' is said by "in miles", 'business' by "business days"; a shorter
    name (a code: 'mi') only as itself."""
    said = _words(request)
    words = _words(name)
    content = [w for w in words if len(w) >= 4]
    if content:
        return any(_same_word(w, s) for w in content for s in said)
    return bool(words) and all(w in said for w in words)


def _supported(name: str, value: Any, schema: dict[str, Any], request: str) -> bool | None:
    """Whether the request supports passing `value` to the parameter `name`; None where the
    value is not a closed choice (a number, a date, free text)."""
    if isinstance(value, bool):
        return names_in(request, name)
    if not isinstance(value, str):
        return None
    named = choices(schema)
    if value not in named:
        return None
    return any(names_in(request, n) for n in named[value])


def unasked_choices(trial: Trial, tool: Tool) -> list[tuple[Step, str, str]]:
    """The optional choices the successful calls make (a choice parameter's value or a
    flag, other than the default) that the request does not name: (the call's step, the
    argument's name, how it is shown: 'day_type="business"')."""
    properties = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    unasked = []
    for step in successful_calls(trial):
        for name, value in step.call.arguments.items():  # type: ignore[union-attr]
            schema = properties.get(name)
            if name in required or schema is None or value == schema.get("default"):
                continue
            if _supported(name, value, schema, trial.query) is False:
                unasked.append((step, name, f"{name}={json.dumps(value, ensure_ascii=False)}"))
    return unasked


def options_asked(trial: Trial, tool: Tool) -> Check:
    """Every optional choice a successful call makes (a choice parameter's value or a flag,
    other than the default) is one the request names."""
    unasked = unasked_choices(trial, tool)
    if not unasked:
        return Check("options_asked", True, "each optional choice is one the request names")
    _step, name, shown = unasked[0]
    described = tool.parameters["properties"][name].get("description", "").strip()
    return Check(
        "options_asked",
        False,
        f"{shown}: an option the request does not name",
        question=(
            f"The call passed {shown}"
            + (f" ({name}: {described})" if described else "")
            + ". Does the user's request ask for that, in its own words?"
        ),
    )
