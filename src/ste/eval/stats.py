"""Confidence intervals for success rates and an exact paired test (standard library only)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion, as proportions in [0, 1].

    With no trials nothing is known: `(0.0, 1.0)`.
    """
    if n < 0 or not 0 <= successes <= n:
        raise ValueError(f"need 0 <= successes <= n, got {successes}/{n}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    if n == 0:
        return (0.0, 1.0)
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    low = 0.0 if successes == 0 else max(0.0, centre - half)
    high = 1.0 if successes == n else min(1.0, centre + half)
    return (low, high)


def mcnemar_exact(b: int, c: int) -> float:
    """Exact two-sided McNemar p-value from the discordant pair counts.

    `b` counts items system A got right and B wrong, `c` the reverse. Under the null
    hypothesis the b + c discordant items split as Binomial(b + c, 0.5):
    p = min(1, 2 * P(X <= min(b, c))).
    """
    if b < 0 or c < 0:
        raise ValueError(f"counts must be non-negative, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1))
    return min(1.0, 2 * tail / 2**n)


def proportion_summary(successes: int, n: int) -> dict:
    """Success rate and its 95% Wilson interval, in percent, with the raw counts."""
    low, high = wilson_interval(successes, n)
    return {
        "rate": 100.0 * successes / n if n else 0.0,
        "ci_low": 100.0 * low,
        "ci_high": 100.0 * high,
        "successes": successes,
        "n": n,
    }


@dataclass(frozen=True)
class Paired:
    """Two systems on the items both answered: how many only one got right, and McNemar."""

    n: int
    only_a: int  # right in A, wrong in B
    only_b: int  # right in B, wrong in A

    @property
    def p_value(self) -> float:
        return mcnemar_exact(self.only_a, self.only_b)


def paired_correct(a: dict[str, bool], b: dict[str, bool]) -> Paired:
    """Pair two systems' per-item correctness (item id -> correct) on their shared items."""
    shared = [item for item in a if item in b]
    return Paired(
        n=len(shared),
        only_a=sum(a[i] and not b[i] for i in shared),
        only_b=sum(b[i] and not a[i] for i in shared),
    )
