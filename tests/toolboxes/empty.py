"""Nothing public."""


def _private() -> None:
    """Hidden."""
