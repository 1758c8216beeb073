"""A time of day the request writes on the 12-hour clock ("10:30 PM") is passed as that
time on the 24-hour clock (22:30), not another: a 1.5B explorer passed "10:30 PM" as 20:30
and "12:00 AM" (midnight) as 12:00, and answered from those results."""

from __future__ import annotations

import re

from ste.checks.calls import successful_calls
from ste.checks.verdict import Check
from ste.records import Trial

_TWELVE_HOUR = re.compile(r"\b(\d{1,2})(?::(\d\d))?\s*([ap])\.?\s?m\b\.?", re.IGNORECASE)
_CLOCK = re.compile(r"\b(\d{1,2}):(\d\d)\b")
_PASSED_TIME = re.compile(r"(\d{1,2}):(\d\d)(?::\d\d)?")


def asked_times(query: str) -> dict[str, str]:
    """The times of day a request writes on the 12-hour clock, as HH:MM: {"10:30 PM":
    "22:30"} (an impossible one, "17:00 AM", left out)."""
    times = {}
    for match in _TWELVE_HOUR.finditer(query):
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            continue
        hour = hour % 12 + (12 if match.group(3).casefold() == "p" else 0)
        times[match.group(0).strip()] = f"{hour:02d}:{minute:02d}"
    return times


def _clock(text: str) -> set[str]:
    return {f"{int(h):02d}:{m}" for h, m in _CLOCK.findall(text or "")}


def times_as_asked(trial: Trial) -> Check:
    """Where the request writes times on the 12-hour clock, every time of day a successful
    call passes is one of them (on the 24-hour clock), one it writes on the 24-hour clock,
    or one an earlier result gave."""
    asked = asked_times(trial.query)
    if not asked:
        return Check("times_as_asked", True, "the request writes no 12-hour time")
    allowed = set(asked.values()) | _clock(_TWELVE_HOUR.sub(" ", trial.query))
    for step in successful_calls(trial):
        for name, value in step.call.arguments.items():  # type: ignore[union-attr]
            if not isinstance(value, str) or not (passed := _PASSED_TIME.fullmatch(value)):
                continue
            time = f"{int(passed.group(1)):02d}:{passed.group(2)}"
            if time not in allowed:
                said = ", ".join(f"{k} ({v})" for k, v in asked.items())
                # one time asked: the value that passes, its seconds (":00") kept
                only = set(asked.values())
                fix = {name: only.pop() + value[passed.end(2) :]} if len(only) == 1 else {}
                return Check(
                    "times_as_asked",
                    False,
                    f"the request says {said}; the call passed {name}={value!r}",
                    fix=fix,
                )
        allowed |= _clock(step.observation or "")
    return Check("times_as_asked", True, "times of day as the request writes them")
