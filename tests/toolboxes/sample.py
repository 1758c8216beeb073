"""A small toolbox for tests: each function exercises one part of the schema rules."""

import asyncio
import time
from json import dumps  # imported, so not a tool
from typing import Literal, Optional


def convert(value: float, unit: Literal["km", "mi"], precision: int = 2) -> dict:
    """Convert a distance between kilometres and miles.

    This second paragraph is not part of the description.

    Args:
        value: The distance to convert.
        unit: The unit `value` is in: 'km' or 'mi'.
        precision: Decimal places of the result.

    Returns:
        The converted distance.
    """
    if value < 0:
        raise ValueError("value must be >= 0, got a negative distance")
    factor = 0.621371 if unit == "km" else 1 / 0.621371
    return {"result": round(value * factor, precision), "unit": "mi" if unit == "km" else "km"}


def tag(
    items: list[int],
    label: Optional[str] = None,
    meta: dict[str, str] | None = None,
    flag: bool = False,
) -> list:
    """Label a list of numbers.

    Args:
        items: Numbers to label.
        label: A label; null means none.
        meta: Extra string fields.
        flag: Whether to flag them.
    """
    return [{"item": i, "label": label, "flag": flag, "meta": meta} for i in items]


async def slow(seconds: float) -> str:
    """Sleep asynchronously, then answer.

    Args:
        seconds: How long to sleep.
    """
    await asyncio.sleep(seconds)
    return "done"


def block(seconds: float) -> str:
    """Block the calling thread, then answer.

    Args:
        seconds: How long to block.
    """
    time.sleep(seconds)
    return "done"


def explode(kind: str) -> str:
    """Fail in the requested way.

    Args:
        kind: 'key', 'exit' or 'object'.
    """
    if kind == "key":
        raise KeyError("missing")
    if kind == "exit":
        raise SystemExit(3)
    return dumps  # not JSON-serialisable


def big(n: int) -> str:
    """Return a long string.

    Args:
        n: Its length.
    """
    return "x" * n


def _helper() -> None:
    """Private: not a tool."""
