"""Did a trial really fulfil its request? Judged from what happened, not from what the model
said about it.

A trial is solved when at least one call of the tool succeeded, the model gave a final
answer, every number in that answer is found in a tool result, the request or the call's
arguments, and, when the results hold numbers, at least one of the answer's numbers (or a
code such as a digest, or a name only the results held, such as a search's "Caprese Salad")
is theirs: a `{"result": 89.6}` answered as "32" is not solved, whatever the model's
reflection says; nor is an answer that quotes a value neither the request nor a result
holds (a Base64 string "decoded" as "Hello" by a call that encoded it), or a date
('2026-05-04') or a dotted identifier (a version, an address) none holds. The reflection is
kept beside this verdict, and how often the two agree is reported with it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

# a number as written in text: 1,024 / -3.5 / 6.21e3; single digits are too often ordinals,
# counts of words or list markers to check
_NUMBER = re.compile(r"(?<![\w.-])-?\d[\d,]*(?:\.\d+)?(?:[eE][+-]?\d+)?")


# a dotted identifier: a version (2.2.10), an IPv4 address: no number, but a value the answer
# must take from a source as written
_DOTTED = re.compile(r"(?<![\w.])\d+(?:\.\d+){2,}(?![\w]|\.\d)")

# a code from a result: a digest, an id, an address (6+ characters with a digit in them)
_CODE = re.compile(r"[\w./:+=-]{6,}")


# a value no one retypes by heart, that an answer must copy from a result: a hex digest or
# an IPv6 address (8+ hex characters with a digit or colons in them), an encoding (16+
# characters of both cases and digits)
_HEX = re.compile(r"(?<![\w:])[0-9A-Fa-f:]{8,}(?![\w:])")
_ENCODED = re.compile(r"(?<![\w+/=-])[A-Za-z0-9+/_-]{16,}={0,2}(?![\w+/=-])")


def copied_codes(text: str) -> list[str]:
    """The digests, addresses and encodings `text` writes out (see `_HEX`, `_ENCODED`)."""
    hexes = [
        h.strip(":")
        for h in _HEX.findall(text)
        if re.search(r"[A-Fa-f]", h) and (re.search(r"\d", h) or h.count(":") >= 2)
    ]
    encoded = [
        e
        for e in _ENCODED.findall(text)
        if re.search(r"[a-z]", e) and re.search(r"[A-Z]", e) and re.search(r"\d", e)
    ]
    return [*hexes, *encoded]


# a date as results write it (ISO 8601): its parts are no numbers to check one by one
ISO_DATE = re.compile(r"(?<![\d-])\d{4}-\d{2}-\d{2}(?![\d-])")

# a value an answer quotes: "Hello", “/v1/items”
_QUOTED = re.compile(r'"([^"\n]{1,200})"|\u201c([^\u201d\n]{1,200})\u201d')

# a clock time as results write it: 17:11, 17:11:54, the T17:11 of an ISO datetime
_CLOCK = re.compile(r"(?<!\d)([01]?\d|2[0-3]):([0-5]\d)(?!\d)")


def clock_numbers(texts: list[str]) -> set[float]:
    """The hours and minutes of the clock times in `texts`, on 24- and 12-hour clocks: an
    ISO datetime's T23:40 answered as "23:40" or "11:40 PM" states numbers that follow."""
    found: set[float] = set()
    for match in (m for text in texts for m in _CLOCK.finditer(text or "")):
        hour, minutes = int(match.group(1)), int(match.group(2))
        found |= {float(hour), float(hour % 12 or 12), float(minutes)}
    return found


def date_numbers(texts: list[str]) -> set[float]:
    """The year, month and day of the ISO dates in `texts`: a result's '2024-08-14' answered
    as "August 14, 2024" states numbers that follow."""
    found: set[float] = set()
    for date in (d for text in texts for d in ISO_DATE.findall(text or "")):
        found |= {float(part) for part in date.split("-")}
    return found


def has_clock_time(texts: list[str]) -> bool:
    """Whether a time of day appears (then an answer's AM/PM follows from it)."""
    return any(_CLOCK.search(text or "") for text in texts)


def _codes_in(text: str) -> set[str]:
    return {c.strip(".:").casefold() for c in _CODE.findall(text) if any(ch.isdigit() for ch in c)}


def leaves(value: Any) -> list[Any]:
    """The scalar values of a JSON value, its objects and lists walked through."""
    if isinstance(value, dict):
        return [leaf for v in value.values() for leaf in leaves(v)]
    if isinstance(value, list):
        return [leaf for v in value for leaf in leaves(v)]
    return [value]


def _strings_in(value: object) -> list[str]:
    return [leaf for leaf in leaves(value) if isinstance(leaf, str)]


def names_a_result(answer: str, results: list[str], query: str) -> bool:
    """Whether the answer names something only the results held: a search's "Caprese Salad",
    a capital's "Canberra" (a text value of a JSON result, of two words or of 5+ letters, that
    the request did not already say)."""
    said, told = query.casefold(), answer.casefold()
    for text in results:
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, ValueError, RecursionError):
            continue
        for name in _strings_in(value):
            name = name.strip().casefold()
            if (len(name) >= 5 or " " in name) and name not in said and name in told:
                return True
    return False


def quoted_in(answer: str) -> list[str]:
    """The values an answer quotes ("The text decodes to "Hello""), two characters or more."""
    found = (straight or curly for straight, curly in _QUOTED.findall(answer))
    return [q for q in found if len(q.strip()) >= 2]


_SECONDS = re.compile(r"\b(\d{1,2}:\d\d):00\b")


def held(value: str, sources: list[str]) -> bool:
    """Whether a source holds `value`, as written or as a JSON result's string holds it,
    or, a value of several words, each of its words: "16:30 UTC" from a result's time and
    its zone's abbreviation, "2026-12-06 21:15:00" from its date and time (a time's zero
    seconds aside)."""
    if _held(value, sources):
        return True
    parts = _SECONDS.sub(r"\1", value).replace(",", " ").split()
    return len(parts) > 1 and all(_held(part, sources, whole=True) for part in parts)


def _held(value: str, sources: list[str], whole: bool = False) -> bool:
    """Whether a source holds `value`; `whole`: as a whole word, not inside a longer one."""
    wanted = value.strip().casefold()
    if whole:
        if len(wanted) < 2:
            return False
        pattern = re.compile(rf"(?<!\w){re.escape(wanted)}(?!\w)")
        return any(pattern.search((text or "").casefold()) for text in sources)
    for text in sources:
        if wanted in (text or "").casefold():
            return True
        try:
            decoded = json.loads(text)
        except (json.JSONDecodeError, ValueError, RecursionError, TypeError):
            continue
        if any(wanted in s.casefold() for s in _strings_in(decoded)):
            return True
    return False


_PLACEHOLDER = re.compile(r"<[^<>\n]{3,120}>\.?")


def placeholder(answer: str) -> bool:
    """Whether an answer is a template's placeholder copied ("<the answer to the user's
    query, from the tool results>"), not an answer."""
    return bool(_PLACEHOLDER.fullmatch(answer.strip()))


@dataclass(frozen=True)
class Outcome:
    solved: bool
    reason: str


def numbers_in(text: str) -> set[float]:
    """The numbers written in `text` (commas as thousands separators), single digits left out;
    no part of a dotted identifier ("2.2.10" is no 2.2)."""
    found = set()
    for match in _NUMBER.finditer(_DOTTED.sub(" ", text or "")):
        token = match.group().replace(",", "")
        try:
            value = float(token)
        except ValueError:
            continue
        if len(token.lstrip("-")) > 1:
            found.add(value)
    return found


def supported(value: float, evidence: set[float]) -> bool:
    """In the evidence, as written or rounded (6.2137 answered as 6.21)."""
    return any(
        abs(value - known) <= 1e-9 * max(1.0, abs(known))
        or any(round(known, digits) == value for digits in range(0, 7))
        for known in evidence
    )


def judge_outcome(
    query: str, final_answer: str | None, results: list[str], arguments: list[str], succeeded: bool
) -> Outcome:
    if not query:
        return Outcome(False, "no request was imagined")
    if not succeeded:
        return Outcome(False, "no call of the tool succeeded")
    if not (final_answer or "").strip() or placeholder(final_answer or ""):
        return Outcome(False, "no final answer")
    stated = numbers_in(final_answer or "")
    from_results = {n for text in results for n in numbers_in(text)}
    evidence = numbers_in(query) | from_results | {n for a in arguments for n in numbers_in(a)}
    evidence |= clock_numbers([query, *results, *arguments])
    evidence |= date_numbers([query, *results, *arguments])
    unsupported = sorted(n for n in stated if not supported(n, evidence))
    if unsupported:
        shown = ", ".join(f"{n:g}" for n in unsupported[:3])
        return Outcome(False, f"the answer states {shown}, found in no tool result")
    sources = [query, *results, *arguments]
    stated_dates = ISO_DATE.findall(final_answer or "")
    undated = [d for d in stated_dates if not held(d, sources)]
    if undated:
        return Outcome(False, f"the answer states the date {undated[0]}, found in no tool result")
    unheld = [d for d in _DOTTED.findall(final_answer or "") if not held(d, sources)]
    if unheld:
        return Outcome(False, f"the answer states {unheld[0]}, found in no tool result")
    unquoted = [q for q in quoted_in(final_answer or "") if not held(q, sources)]
    if unquoted:
        return Outcome(False, f"the answer quotes {unquoted[0][:40]!r}, found in no tool result")
    miscopied = [c for c in copied_codes(final_answer or "") if not held(c, sources)]
    if miscopied:
        return Outcome(False, f"the answer states {miscopied[0][:40]!r}, found in no tool result")
    codes = {c for text in results for c in _codes_in(text)}
    draws_on_results = (
        any(supported(n, from_results) for n in stated)
        or bool(_codes_in(final_answer or "") & codes)
        or names_a_result(final_answer or "", results, query)
    )
    if stated and from_results and not draws_on_results:
        return Outcome(False, "the answer's numbers repeat the request, none of the results")
    return Outcome(True, "a call succeeded and the answer's numbers come from its results")
