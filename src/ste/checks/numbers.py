"""Numbers a request gives in words: "five recipes", "a dozen eggs", "to the nearest tenth".

A caller passes them as digits (`limit=5`, `precision=1`), and a check that reads only
digits would call those values invented. "one" is left out: it is mostly a pronoun ("which
one"), and a 1 passed for it is the invented `top_n=1` the grounding check exists to catch.
Numbers in several words ("four hundred twenty-two", "2 million"), months by name ("in
May": 5), shares of a request's numbers ("20% down" on $35,000: 7000), the years "this
year" names, a number named beside a passed one ("2023 and 2024"), and dates written out
with their year ("December 7, 2026": 2026-12-07).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from ste.outcome import supported

# fmt: off
_UNITS = [
    "zero", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven",
    "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen",
    "nineteen",
]
_TENS = [
    "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
]
# fmt: on
NUMBER_WORDS: dict[str, float] = {
    **{word: float(i if i == 0 else i + 1) for i, word in enumerate(_UNITS)},
    **{word: float(20 + 10 * i) for i, word in enumerate(_TENS)},
    "dozen": 12.0,
    "hundred": 100.0,
    "thousand": 1000.0,
    "half": 0.5,
}
# the decimal places a rounding names: "nearest tenth" 1, "two decimal places" (by "two")
PLACES: dict[str, float] = {"tenth": 1.0, "hundredth": 2.0, "thousandth": 3.0}
_WHOLE = re.compile(r"\b(?:whole number|nearest integer|nearest (?:dollar|unit|cent))\b", re.I)
_TOKEN = re.compile(r"[a-z]+")


def spoken_numbers(text: str) -> set[float]:
    """The numbers `text` gives in words, and the decimal places its rounding names."""
    found: set[float] = set()
    words = _TOKEN.findall(text.casefold())
    for index, word in enumerate(words):
        singular = word[:-1] if word.endswith("s") else word
        if word in NUMBER_WORDS:
            found.add(NUMBER_WORDS[word])
        if singular in PLACES:
            found.add(PLACES[singular])
        if word in _TENS and index + 1 < len(words) and words[index + 1] in _UNITS[1:9]:
            found.add(NUMBER_WORDS[word] + NUMBER_WORDS[words[index + 1]])  # "twenty five"
    if _WHOLE.search(text):
        found.add(0.0)
    return found | _compound_numbers(words) | _scaled_digits(text) | month_numbers(text)


_SCALES = {"thousand": 1e3, "million": 1e6, "billion": 1e9}


def _compound_numbers(words: list[str]) -> set[float]:
    """Numbers written in several words: "four hundred twenty two" (the hyphen of
    "twenty-two" splits like a space), "two million"."""
    found: set[float] = set()
    total = current = 0.0
    run = 0
    for word in [*words, ""]:
        if word in NUMBER_WORDS and word not in ("half", "dozen", "hundred", "thousand"):
            current += NUMBER_WORDS[word]
        elif word == "hundred" and run:
            current *= 100
        elif word in _SCALES and run:
            total += current * _SCALES[word]
            current = 0.0
        else:
            if run > 1:
                found.add(total + current)
            total = current = 0.0
            run = 0
            continue
        run += 1
    return found


_SCALED = re.compile(r"(\d+(?:\.\d+)?)\s*(thousand|million|billion)\b", re.IGNORECASE)


def _scaled_digits(text: str) -> set[float]:
    """ "2 million", "1.5 billion": digits times the scale word after them."""
    return {float(n) * _SCALES[w.casefold()] for n, w in _SCALED.findall(text)}


_MONTHS = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
)
# a month's name as dates write it, in full or short ("Dec.", "sept"): a pattern to build on
MONTH_NAME = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_MONTH = re.compile(
    r"\b(?:(jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?|("
    + "|".join(m for m in _MONTHS if m != "may")
    + r")|(May))\b",
    re.IGNORECASE,
)


def month_numbers(text: str) -> set[float]:
    """The months a request names, as their numbers ("in May 2025": 5); "may" the verb
    is not a month, "May" the name is."""
    found: set[float] = set()
    for short, full, may in _MONTH.findall(text):
        if may and may != "May":
            continue
        name = (short or full or may).casefold()[:3]
        found.add(float([m[:3] for m in _MONTHS].index(name) + 1))
    return found


_YEAR = r"((?:19|20)\d{2})"
# a date written out with its year: "December 7, 2026", "Dec 7th 2026", "7 December 2026"
_WRITTEN_DATE = re.compile(
    rf"\b({MONTH_NAME})\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+{_YEAR}\b"
    rf"|\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?({MONTH_NAME}),?\s+{_YEAR}\b",
    re.IGNORECASE,
)


def written_dates(text: str) -> list[tuple[str, date]]:
    """The dates `text` writes out in words with their year: (as written, the day)."""
    found = []
    for match in _WRITTEN_DATE.finditer(text):
        month_a, day_a, year_a, day_b, month_b, year_b = match.groups()
        month = month_numbers((month_a or month_b).rstrip(".").capitalize())
        if not month:
            continue
        try:
            day = date(int(year_a or year_b), int(next(iter(month))), int(day_a or day_b))
        except ValueError:  # "February 30, 2026"
            continue
        found.append((match.group(0), day))
    return found


# a percentage a text gives: "4.5%", "20 per cent"
PERCENT = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(?:%|per\s?cent\b)", re.IGNORECASE)


def plain_numbers(text: str) -> list[float]:
    """The numbers a text gives that are not percentages ("$35,000" as 35000)."""
    return [
        float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?(?![\w%])", text.replace(",", ""))
    ]


def percent_shares(text: str) -> set[float]:
    """A percentage of another number the request gives ("20% down" on "$35,000": 7000)."""
    percents = [float(p) for p in PERCENT.findall(text.replace(",", ""))]
    return {p / 100 * n for p in percents for n in plain_numbers(text) if n != p}


_RELATIVE_YEAR = re.compile(r"\b(this|current|next|last|previous|coming)\s+year\b", re.I)
_YEAR_SHIFT = {"this": 0, "current": 0, "next": 1, "coming": 1, "last": -1, "previous": -1}


def relative_years(text: str, when: float | None) -> set[float]:
    """The years "this year", "next year", "last year" name, for a request written at
    `when` (a Unix time; None: unknown, no years)."""
    if when is None:
        return set()
    year = datetime.fromtimestamp(when, tz=UTC).year
    return {float(year + _YEAR_SHIFT[m.casefold()]) for m in _RELATIVE_YEAR.findall(text)}


def number_beside(query: str, value: float, passed: set[float]) -> str | None:
    """A number the request names beside `value` ("the years 2023 and 2024") that no
    successful call passed."""
    shown = re.escape(f"{value:g}")
    number = r"(\d[\d,]*(?:\.\d+)?)"
    patterns = (
        rf"(?<![\w.]){number},?\s+(?:and|&)\s+{shown}(?!\w|\.\d)",
        rf"(?<![\w.]){shown},?\s+(?:and|&)\s+{number}(?!\w|\.\d)",
    )
    for pattern in patterns:
        for other in re.findall(pattern, query):
            if not supported(float(other.replace(",", "")), passed):
                return other
    # or listed with their names, each a whole number of as many digits: "400 Bad Request,
    # 500 Internal Server Error, and 301 Moved Permanently" looked up by 400 alone
    if float(value).is_integer() and value >= 10:
        digits = len(f"{value:g}")
        listed = (
            rf"(?<![\w.,]){shown}(?![\w.])[^\d,;.?!]{{0,40}},\s+(?:and\s+)?"
            rf"(\d{{{digits}}})(?![\w.,])"
        )
        for other in re.findall(listed, query):
            if not supported(float(other), passed):
                return other
    return None
