"""Confidence intervals and the exact McNemar test (ste.eval.stats)."""

import pytest

from ste.eval.stats import mcnemar_exact, proportion_summary, wilson_interval


def test_wilson_known_value():
    low, high = wilson_interval(8, 10)
    assert low == pytest.approx(0.4902, abs=5e-4)
    assert high == pytest.approx(0.9433, abs=5e-4)


def test_wilson_half():
    low, high = wilson_interval(50, 100)
    assert low == pytest.approx(0.4038, abs=5e-4)
    assert high == pytest.approx(0.5962, abs=5e-4)
    assert low + high == pytest.approx(1.0)


def test_wilson_extremes():
    low, high = wilson_interval(0, 10)
    assert low == 0.0
    assert high == pytest.approx(0.2775, abs=5e-4)
    low, high = wilson_interval(10, 10)
    assert high == 1.0
    assert low == pytest.approx(0.7225, abs=5e-4)


def test_wilson_no_trials():
    assert wilson_interval(0, 0) == (0.0, 1.0)


def test_wilson_confidence_widens_interval():
    low90, high90 = wilson_interval(30, 60, confidence=0.90)
    low99, high99 = wilson_interval(30, 60, confidence=0.99)
    assert low99 < low90 < 0.5 < high90 < high99


def test_wilson_contains_rate_and_stays_in_bounds():
    for n in (1, 2, 7, 50):
        for k in range(n + 1):
            low, high = wilson_interval(k, n)
            assert 0.0 <= low <= k / n <= high <= 1.0


@pytest.mark.parametrize(("successes", "n"), [(-1, 10), (11, 10), (0, -1)])
def test_wilson_rejects_bad_counts(successes, n):
    with pytest.raises(ValueError):
        wilson_interval(successes, n)


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        (0, 5, 0.0625),
        (5, 0, 0.0625),
        (3, 3, 1.0),
        (1, 9, 2 * 11 / 1024),
        (9, 1, 2 * 11 / 1024),
        (0, 1, 1.0),
        (2, 8, 2 * (1 + 10 + 45) / 1024),
        (0, 10, 2 / 1024),
        (0, 0, 1.0),
    ],
)
def test_mcnemar_exact(b, c, p):
    assert mcnemar_exact(b, c) == pytest.approx(p)


def test_mcnemar_large_counts():
    assert mcnemar_exact(500, 500) == 1.0
    assert 0.0 < mcnemar_exact(400, 600) < 1e-9


def test_mcnemar_rejects_negative():
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def test_proportion_summary():
    summary = proportion_summary(8, 10)
    assert set(summary) == {"rate", "ci_low", "ci_high", "successes", "n"}
    assert summary["rate"] == pytest.approx(80.0)
    assert summary["ci_low"] == pytest.approx(49.02, abs=0.05)
    assert summary["ci_high"] == pytest.approx(94.33, abs=0.05)
    assert summary["successes"] == 8
    assert summary["n"] == 10


def test_proportion_summary_empty():
    summary = proportion_summary(0, 0)
    assert summary["rate"] == 0.0
    assert (summary["ci_low"], summary["ci_high"]) == (0.0, 100.0)
