"""Times of day. One the request writes on the 12-hour clock ("10:30 PM") is passed as that
time on the 24-hour clock (22:30), not another: a 1.5B explorer passed "10:30 PM" as 20:30
and "12:00 AM" (midnight) as 12:00, and answered from those results. One the answer
states is one a result, a call or the request holds: the explorer answered a result's
"08:30" as "08:30 PM", and added a "05:30 AM Eastern" that nothing computed; every number
of those answers is a result's, so the faithfulness check passes them."""

from __future__ import annotations

import json
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


# a time of day an answer states: "08:30", "8:30 PM", "3 p.m." (its seconds aside)
_STATED_TIME = re.compile(
    r"\b(\d{1,2}):(\d\d)(?::\d\d)?(?:\s*([ap])\.?\s?m\b\.?)?|\b(\d{1,2})\s*([ap])\.?\s?m\b\.?",
    re.IGNORECASE,
)


def stated_times(text: str) -> set[str]:
    """The times of day `text` states, as HH:MM on the 24-hour clock ("8:30 PM": "20:30";
    "15:00 PM", a 24-hour time with a needless PM, as 15:00)."""
    found = set()
    for match in _STATED_TIME.finditer(text or ""):
        hour = int(match.group(1) or match.group(4))
        minute = int(match.group(2) or 0)
        half = (match.group(3) or match.group(5) or "").casefold()
        if half and 1 <= hour <= 12:
            hour = hour % 12 + (12 if half == "p" else 0)
        if hour <= 24 and minute <= 59:
            found.add(f"{hour:02d}:{minute:02d}")
    return found


def times_from_results(trial: Trial) -> Check:
    """Every time of day the answer states is one a successful call's result, a call or the
    request holds (on the 24-hour clock)."""
    stated = stated_times(trial.final_answer or "")
    if not stated:
        return Check("times_from_results", True, "the answer states no time of day")
    known = stated_times(trial.query)
    for step in trial.call_steps:
        if step.call is not None:
            known |= stated_times(json.dumps(step.call.arguments, ensure_ascii=False))
        if step.tool_ok:
            known |= stated_times(step.observation or "")
    unknown = sorted(stated - known)
    if unknown:
        return Check(
            "times_from_results",
            False,
            f"the answer states the time {unknown[0]} (24-hour clock), found in no result, "
            "call or the request",
        )
    return Check("times_from_results", True, "the answer's times come from the results")


# a UTC offset a request names: "UTC+03:00", "GMT-5", "+05:30"
_OFFSET = re.compile(
    r"(?:\b(?:UTC|GMT)\s*([+\-−])\s*(\d{1,2})(?::?(\d\d))?\b)|(?<![\w:+\-])([+\-−])(\d\d):(\d\d)\b"
)


# an offset as a call or result writes it, inside a timestamp too ("...T12:30:00+02:00")
_WRITTEN_OFFSET = re.compile(r"([+\-−])(\d\d):?(\d\d)(?!\d)")


def _offsets(text: str, pattern: re.Pattern[str] = _OFFSET) -> set[str]:
    """The UTC offsets `text` writes, each as +HH:MM."""
    found = set()
    for match in pattern.finditer(text or ""):
        sign, hours, minutes = (match.group(1), match.group(2), match.group(3))
        if sign is None and pattern is _OFFSET:
            sign, hours, minutes = match.group(4), match.group(5), match.group(6)
        sign = "-" if sign in "-−" else "+"
        found.add(f"{sign}{int(hours):02d}:{minutes or '00'}")
    return found


def offsets_used(trial: Trial) -> Check:
    """A UTC offset the request names ("and also give it as UTC+03:00") is one a successful
    call passed or a result holds: a bundled exploration's 1.5B model answered two such
    requests with the UTC time alone, as if the offset had been applied."""
    asked = _offsets(trial.query)
    if not asked:
        return Check("offsets_used", True, "the request names no UTC offset")
    seen: set[str] = set()
    for step in successful_calls(trial):
        passed = json.dumps(step.call.arguments) if step.call else ""
        seen |= _offsets(passed, _WRITTEN_OFFSET) | _offsets(step.observation, _WRITTEN_OFFSET)
    missing = sorted(asked - seen)
    if missing and successful_calls(trial):
        return Check(
            "offsets_used",
            False,
            f"the request names the UTC offset {missing[0]}; no call passed it and no result "
            "holds it (a part of the request left out)",
        )
    return Check("offsets_used", True, "each UTC offset the request names was used")
