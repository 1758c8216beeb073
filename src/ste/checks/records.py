"""A rule check that what an answer says of each record of a listed result is that record's.

A result that lists records (holidays, recipes, cities) gives each a name and attributes
(a weekday, a cuisine, a date). A 1.5B model listing them often garbles the pairing: "All
Saints' Day (Saturday)" for a record whose weekday is Sunday, the Saturday of the holiday
before carried over. Every word of such an answer is
somewhere in the results, so the faithfulness check passes it; read record by record, the
claim is one no result made.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from ste.checks.calls import record_results
from ste.checks.verdict import Check
from ste.records import Trial

__all__ = ["records_as_results"]

_RESPECTIVELY = re.compile(r"\brespectively\b", re.IGNORECASE)
NEAR = 30  # characters either side of a record's name where its attributes are written
MIN_RECORDS = 3  # the lists where a small model mixes records up


def _lists(value: Any) -> Iterator[list[dict[str, Any]]]:
    """Every list of JSON objects inside a result, nested ones too."""
    if isinstance(value, dict):
        for inner in value.values():
            yield from _lists(inner)
    elif isinstance(value, list):
        records = [v for v in value if isinstance(v, dict)]
        if len(records) == len(value) >= MIN_RECORDS:
            yield records
        for inner in value:
            yield from _lists(inner)


def _strings(records: list[dict[str, Any]], key: str) -> list[str] | None:
    values = [r.get(key) for r in records]
    if all(isinstance(v, str) and v.strip() for v in values):
        return [str(v) for v in values]
    return None


def _said(value: str) -> re.Pattern[str]:
    words = re.escape(value.replace("_", " ")).replace(r"\ ", r"[\s_-]+")
    return re.compile(rf"(?<!\w){words}(?!\w)", re.IGNORECASE)


def _mismatch(answer: str, records: list[dict[str, Any]]) -> str | None:
    """The first record the answer gives another record's attribute, in words."""
    if _RESPECTIVELY.search(answer):  # lists paired by their order: no window reads them
        return None
    keys = list(dict.fromkeys(k for r in records for k in r))
    columns = {k: v for k in keys if (v := _strings(records, k)) is not None}
    names = [k for k, v in columns.items() if len(set(v)) == len(v)]  # one per record
    if not names:
        return None
    # the records' names: the unique column the answer says most of ('name', not 'date')
    name_key = max(names, key=lambda k: sum(bool(_said(v).search(answer)) for v in columns[k]))
    shared = [k for k, v in columns.items() if k != name_key and len(set(v)) >= 2]
    spans = [
        (m.start(), m.end(), i)
        for i, r in enumerate(records)
        for m in _said(r[name_key]).finditer(answer)
    ]
    spans.sort()
    for index, (start, end, i) in enumerate(spans):
        before_from = spans[index - 1][1] if index else 0
        after_to = spans[index + 1][0] if index + 1 < len(spans) else len(answer)
        near = (
            answer[max(before_from, start - NEAR) : start]
            + " "
            + answer[end : min(after_to, end + NEAR)]
        )
        for key in shared:
            own = records[i][key]
            others = {v for v in columns[key] if v.casefold() != own.casefold()}
            stated = [v for v in others if _said(v).search(near)]
            if stated and not _said(own).search(near):
                return f"{records[i][name_key]} ({key} {stated[0]!r}; the result has {own!r})"
    return None


def records_as_results(trial: Trial) -> Check:
    """Each record of a listed result that the answer names is given its own attributes (a
    weekday, a cuisine: its other text fields), not another record's."""
    answer = trial.final_answer or ""
    for _, result in record_results(trial):
        for records in _lists(result):
            if found := _mismatch(answer, records):
                return Check("records_as_results", False, f"the answer gives {found}")
    return Check("records_as_results", True, "each record named has its own attributes")
