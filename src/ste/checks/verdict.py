"""The verdict of one check on a trial, as `decisions.json` records it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Check:
    name: str
    ok: bool
    reason: str
    # a failed check that a rule cannot settle: the judge is asked this Yes/No question,
    # and its Yes passes the check (without a judge, the check stays failed)
    question: str = ""
