"""Every number a request gives goes into the expression that computes it: "(3 + 2) * (5 - 3)
and then add 2" sent as `(3 + 2) * (5 - 3)` answers 10 for 12, and the result the answer
states is the tool's own, so faithfulness cannot see the step left out."""

from __future__ import annotations

import re

from ste.checks.arguments import grounded_number
from ste.checks.calls import successful_calls
from ste.checks.verdict import Check
from ste.records import Trial

_DIGITS = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
# an arithmetic expression: a number, an operator, then a number or a bracket; a minus or a
# slash only with spaces or beside another operator (not an ISBN's '0-262-...', a '/22' CIDR)
_ARITHMETIC = re.compile(r"\d\s*(?:\*\*|[+*^]|\s[-/]\s)\s*[\d(]|\)\s*(?:\*\*|[-+*/^])|\(")
_DATE_OR_TIME = re.compile(r"\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}")
_QUOTED_TEXT = re.compile(r"\"[^\"]*\"|'[^']*'|\u201c[^\u201d]*\u201d")


def _numbers(text: str) -> list[float]:
    return [float(n) for n in _DIGITS.findall(text.replace(",", ""))]


def expression_numbers_used(trial: Trial) -> Check:
    """Where the successful calls pass arithmetic expressions, each number the request
    writes in digits (outside quoted text, and not passed as a number argument) appears in
    them as often as the request writes it: as written or converted (17.5% as 0.175)."""
    expressions: list[float] = []
    passed: list[float] = []
    for step in successful_calls(trial):
        for value in step.call.arguments.values():  # type: ignore[union-attr]
            if isinstance(value, str) and _ARITHMETIC.search(value) and re.search(r"\d", value):
                if not _DATE_OR_TIME.search(value):
                    expressions += _numbers(value)
            elif isinstance(value, int | float) and not isinstance(value, bool):
                passed.append(float(value))
    if not expressions:
        return Check("expression_numbers_used", True, "no expression passed")
    unused = list(expressions)
    missing = []
    for number in _numbers(_QUOTED_TEXT.sub(" ", trial.query)):
        if number in passed:
            continue
        match = next((e for e in unused if e == number), None)
        if match is None:
            match = next((e for e in unused if grounded_number(e, {number})), None)
        if match is None:
            missing.append(number)
        else:
            unused.remove(match)
    if missing:
        shown = ", ".join(f"{n:g}" for n in missing)
        return Check(
            "expression_numbers_used",
            False,
            f"the request gives {shown}; no expression passed uses it (a step left out?)",
        )
    return Check("expression_numbers_used", True, "every number the request gives is used")
