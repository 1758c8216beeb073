def broken(x: int) -> int
    """No colon."""
    return x
