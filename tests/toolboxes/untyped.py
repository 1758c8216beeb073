def untyped(x, y: int) -> int:
    """Adds.

    Args:
        x: a
        y: b
    """
    return x + y
