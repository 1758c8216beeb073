"""What a tool's refusals say its data covers, and an imagined request that asks outside it.

A tool backed by a table answers only for the period the table holds, and its refusals say
so: "No holiday data for 2027; available years: 2024-2026", "the table covers 2025-01-02
to 2025-03-26". A small model told these in its memory still imagines "the next public
holiday in the UK for 2028" and "500 USD to INR on the last day of 2026": a dev exploration
spent 8 of a currency tool's 9 trials, and most of a holiday tool's, on requests no call
could fulfil. Such a request is asked again before it is tried, told what the tool covers;
one still outside after that has its dates moved into the period (`moved_inside`): the
currency tool's explorer, told today's date, had asked outside again in 6 of its 9 trials
of a later dev exploration, which then tried nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from ste.checks.numbers import MONTH_NAME, month_numbers, written_dates
from ste.outcome import ISO_DATE

__all__ = ["Covered", "covered", "moved_inside", "outside"]

_ISO = r"(\d{4}-\d{2}-\d{2})"
_YEAR = r"((?:19|20)\d{2})"
_TO = r"\s*(?:to|through|until|and|-|–|—)\s*"
_DATE_RANGE = re.compile(rf"(?<![\d-]){_ISO}{_TO}{_ISO}(?![\d-])")
_YEAR_RANGE = re.compile(rf"(?<![\d-]){_YEAR}{_TO}{_YEAR}(?![\d-])")

_MONTH = rf"({MONTH_NAME})"
# a day written without its year ("on December 5th"): a caller passes it in some year, and
# it is outside a period shorter than a year that holds that day in none
_NO_YEAR = r"(?!\d|,?\s+(?:19|20)\d{2}\b)"
_ASKED_DAY = re.compile(
    rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?\b{_NO_YEAR}"
    rf"|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b{_NO_YEAR}",
    re.IGNORECASE,
)
_ASKED_YEAR = re.compile(
    rf"\b(?:in|of|for|during|since|until|by|year)\s+(?:the\s+year\s+)?{_YEAR}(?![\d-])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Covered:
    """A period a refusal says the tool covers, and the refusal's words."""

    start: date
    end: date
    said: str


def _month(name: str) -> int:
    return int(next(iter(month_numbers(name.capitalize()))))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def covered(refusals: Sequence[str]) -> list[Covered]:
    """The periods the refusals name as covered: date ranges, else year ranges."""
    found: list[Covered] = []
    for text in refusals:
        dates = [(_day(a), _day(b)) for a, b in _DATE_RANGE.findall(text)]
        found += [Covered(a, b, text) for a, b in dates if a and b and a <= b]
        if not dates:
            years = [(int(a), int(b)) for a, b in _YEAR_RANGE.findall(text)]
            found += [Covered(date(a, 1, 1), date(b, 12, 31), text) for a, b in years if a <= b]
    return found


def _asked(query: str) -> list[tuple[str, date, date]]:
    """The periods a request asks about: (as written, first day, last day)."""
    asked = [(d, day, day) for d in ISO_DATE.findall(query) if (day := _day(d))]
    # a date written with its year ("December 25, 2027"); a year named as one ("in 2028",
    # "of 2026", "for the year 2027"; not "2000 USD")
    asked += [(said, day, day) for said, day in written_dates(query)]
    for match in _ASKED_YEAR.finditer(query):
        year = int(match.group(1))
        asked.append((match.group(1), date(year, 1, 1), date(year, 12, 31)))
    return asked


def _in_some_year(period: Covered, month: int, day: int) -> bool:
    for year in range(period.start.year, period.end.year + 1):
        try:
            when = date(year, month, day)
        except ValueError:  # February 29 of a year without it
            continue
        if period.start <= when <= period.end:
            return True
    return False


def _asked_days(query: str) -> list[tuple[str, int, int]]:
    """The days a request writes without a year: (as written, month, day)."""
    found = []
    for match in _ASKED_DAY.finditer(query):
        month_a, day_a, day_b, month_b = match.groups()
        month = _month(month_a or month_b)
        day = int(day_a or day_b)
        if 1 <= day <= 31:
            found.append((match.group(0), month, day))
    return found


def outside(query: str, refusals: Sequence[str]) -> tuple[str, Covered] | None:
    """(what the request asks about, the period it misses) for a request that asks about a
    date or year outside every period the tool's refusals say it covers, or a day without
    its year ("December 5th") that none holds in any of its years; None otherwise (no
    refusal names a period, or the request names no date)."""
    periods = covered(refusals)
    if not periods:
        return None
    for said, first, last in _asked(query):
        if not any(p.start <= last and first <= p.end for p in periods):
            return said, periods[-1]
    for said, month, day in _asked_days(query):
        if not any(_in_some_year(p, month, day) for p in periods):
            return said, periods[-1]
    return None


def _into(day: date, period: Covered) -> date:
    """`day` in `period`: the same day of a year the period holds, else its nearest end."""
    years = range(period.start.year, period.end.year + 1)
    for year in sorted(years, key=lambda y: abs(y - day.year)):
        try:
            moved = day.replace(year=year)
        except ValueError:  # February 29
            continue
        if period.start <= moved <= period.end:
            return moved
    return period.end if day > period.end else period.start


def moved_inside(query: str, refusals: Sequence[str]) -> str | None:
    """`query` with each date and year it asks about outside what the tool's refusals say it
    covers moved into the last period they name: an ISO date to the same day of a year the
    period holds, else its nearest end ("2026-12-01" into 2025-01-02..2025-03-26 is
    "2025-03-26"); a date written with its year ("December 25, 2027") to the same day of
    a covered year, or written anew at the period's nearest end where no covered year holds
    it ("December 5th, 2026" into 2025-01-02..2025-03-26 is "March 26, 2025"); a year ("in
    2027") to the nearest covered one. None where nothing is outside, or something outside
    cannot be moved so (a day without its year)."""
    missed = outside(query, refusals)
    if missed is None:
        return None
    period = missed[1]
    moved = query
    for said, first, last in _asked(query):
        if any(p.start <= last and first <= p.end for p in covered(refusals)):
            continue
        if ISO_DATE.fullmatch(said):
            new = _into(first, period).isoformat()
        elif said.isdigit():  # a year
            year = min(max(first.year, period.start.year), period.end.year)
            new = str(year)
        else:  # a date written with its year: its year changes, else it is written anew
            day = _into(first, period)
            if (day.month, day.day) == (first.month, first.day):
                new = said.replace(str(first.year), str(day.year))
            else:  # a day no covered year holds: the period's nearest end
                new = f"{day:%B} {day.day}, {day.year}"
        moved = re.sub(rf"(?<![\d-]){re.escape(said)}(?![\d-])", new, moved, count=1)
    return moved if moved != query and outside(moved, refusals) is None else None
