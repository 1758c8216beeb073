"""Tools written to fail: the fault-injection tests call each in a worker process."""

import ctypes
import os


def die(code: int) -> str:
    """Exit the process with this code."""
    os._exit(code)


def segv() -> str:
    """Crash with a segmentation fault."""
    ctypes.string_at(0)
    return ""


def spin(x: int) -> int:
    """Count for ever."""
    while True:
        x += 1


def bomb() -> str:
    """Allocate memory without end."""
    hoard = []
    while True:
        hoard.append(bytearray(100_000_000))


def deep() -> list:
    """A list nested 100,000 deep."""
    value: list = []
    for _ in range(100_000):
        value = [value]
    return value


def nan() -> float:
    """Not a number."""
    return float("nan")


def big() -> int:
    """An integer of 6,000 digits."""
    return 10**6000


def ok(x: int) -> dict:
    """A healthy tool that prints on the way."""
    print("noise from a tool")
    return {"x": x}
