"""The verdict of one check on a trial, as `decisions.json` records it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Check:
    name: str
    ok: bool
    reason: str
    # a failed check that a rule cannot settle: the judge is asked this Yes/No question,
    # and its Yes passes the check (without a judge, the check stays failed)
    question: str = ""
    # argument values that would pass the check, where the rule can work them out (30
    # years passed to `term_months`: {"term_months": 360}); offered to the model with the
    # call they correct, for a small model copies a call more surely than it converts
    fix: dict[str, Any] = field(default_factory=dict)


def fixes(checks: list[Check]) -> dict[str, Any]:
    """The argument values the failed `checks` work out, together (`Check.fix`)."""
    return {name: value for check in checks if not check.ok for name, value in check.fix.items()}
