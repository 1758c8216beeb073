"""Values practice keeps coming back to: the values (codes, names, texts, amounts) that the
successful calls of several earlier trials of a tool passed.

Told in the prompt which values were used again and again, a small model still writes the
next request about them (a dev exploration asked about the country 'FRA' in 5 of 6 trials
and analysed one text in 7 of 9), and examples that all use one value teach nothing of the
others. A new request naming a worn value is asked for once more (`imagine`), told which.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from ste.explore.coverage import Coverage

WORN_TRIALS = 3  # a value passed by the successful calls of this many earlier trials is worn


def worn_values(coverage: Coverage, min_trials: int = WORN_TRIALS) -> dict[str, int]:
    """The values (of two characters or more: not a count like 5) that the successful calls
    of at least `min_trials` trials passed, with how many trials each."""
    return {
        value: n
        for counts in (*coverage.values.values(), *coverage.numbers.values())
        for value, n in counts.items()
        if n >= min_trials and len(value) >= 2
    }


def _key(text: str) -> str:
    """Text as compared: case and spacing aside, a number's thousands separators aside."""
    text = " ".join(text.split()).casefold()
    return re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)


def names_worn(request: str, worn: Mapping[str, int]) -> dict[str, int]:
    """The worn values `request` writes out as a whole ('FRA', '$100,000' for 100000; not
    'garlicky' for 'garlic', nor '300' for 30)."""
    text = _key(request)
    return {
        value: n
        for value, n in worn.items()
        if re.search(rf"(?<![\w.]){re.escape(_key(value))}(?![\w]|\.\d)", text)
    }
