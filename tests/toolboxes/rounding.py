"""Two tools for the execution-equivalence table of tests/test_verdict_table.py."""


def round_to(value: float, digits: int = 0) -> float:
    """Round a number.

    Args:
        value: The number to round.
        digits: Digits after the decimal point.
    """
    return round(value, digits)


def fail() -> dict:
    """Always fails."""
    raise ValueError("this tool always fails")
