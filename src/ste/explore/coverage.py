"""What practice has exercised of a tool: the parameters and enum values passed in calls
that succeeded, the free values they passed (codes, names, dates), and the distinct errors
the tool answered with.

Exploration reads it four ways: the long-term memory names what is not covered yet (so
later episodes go where the model has not been) and the values already used again and
again (a small model otherwise keeps to the description's example: nine requests about
the country "FRA"), a repair episode starts from the errors seen, and a tool's exploration
stops when an episode adds nothing (`add` returns False).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ste.records import Trial
from ste.tools.tool import Tool

MAX_ENUM_VALUES = 12  # an enum longer than this is not listed value by value
MAX_VALUE_CHARS = 40  # a longer value (a text to analyse) is shown cut
USED_VALUES_SHOWN = 4  # per parameter, the values used most often


def error_kind(observation: str) -> str:
    """An error message with its values masked: one per distinct thing the tool refused."""
    text = re.sub(r"'[^']*'|\"[^\"]*\"|\d+", "_", observation.casefold())
    return " ".join(text.split())[:120]


def _enum_text(value: Any) -> str:
    return str(value).casefold()


def _enums(tool: Tool | None) -> dict[str, list[Any]]:
    properties = (tool.parameters.get("properties", {}) or {}) if tool else {}
    return {
        name: list(schema["enum"])
        for name, schema in properties.items()
        if isinstance(schema, dict) and isinstance(schema.get("enum"), list)
    }


@dataclass
class Coverage:
    """One tool's coverage; `tool` gives the enums whose values count (none without it)."""

    tool: Tool | None = None
    parameters: set[str] = field(default_factory=set)
    enum_values: dict[str, set[str]] = field(default_factory=dict)
    errors: set[str] = field(default_factory=set)
    error_examples: list[str] = field(default_factory=list)  # one message per error kind
    # per parameter without an enum, the trials whose successful calls passed each value
    values: dict[str, Counter[str]] = field(default_factory=dict)
    # the same for numbers (amounts, years), apart: not listed as values used again
    numbers: dict[str, Counter[str]] = field(default_factory=dict)

    @classmethod
    def of(cls, trials: list[Trial], tool: Tool | None = None) -> Coverage:
        coverage = cls(tool)
        for trial in trials:
            coverage.add(trial)
        return coverage

    def add(self, trial: Trial) -> bool:
        """Take in a trial's calls; whether it exercised anything new."""
        enums = _enums(self.tool)
        new = False
        passed: set[tuple[str, str]] = set()
        amounts: set[tuple[str, str]] = set()
        for step in trial.all_call_steps:
            if step.tool_ok and step.call is not None:
                for name, value in step.call.arguments.items():
                    if value is None:
                        continue
                    if isinstance(value, str) and value.strip() and name not in enums:
                        passed.add((name, " ".join(value.split())))
                    elif isinstance(value, int | float) and not isinstance(value, bool):
                        amounts.add((name, _number_text(value)))
                    if name not in self.parameters:
                        self.parameters.add(name)
                        new = True
                    if name in enums:
                        seen = self.enum_values.setdefault(name, set())
                        if _enum_text(value) not in seen:
                            seen.add(_enum_text(value))
                            new = True
            elif step.tool_ok is False and step.observation:
                new = self.add_error(step.observation) or new
        for name, value in passed:
            self.values.setdefault(name, Counter())[value] += 1
        for name, value in amounts:
            self.numbers.setdefault(name, Counter())[value] += 1
        return new

    def add_error(self, observation: str) -> bool:
        kind = error_kind(observation)
        if kind in self.errors:
            return False
        self.errors.add(kind)
        self.error_examples.append(" ".join(observation.split())[:300])
        return True

    def uncovered(self) -> list[str]:
        """What of the tool's schema no successful call has used yet, in words."""
        properties = (self.tool.parameters.get("properties", {}) or {}) if self.tool else {}
        enums = _enums(self.tool)
        missing: list[str] = []
        for name in properties:
            if name not in self.parameters:
                missing.append(f"the parameter `{name}`")
                continue
            values = enums.get(name, [])
            if 1 < len(values) <= MAX_ENUM_VALUES:
                seen = self.enum_values.get(name, set())
                unseen = [str(v) for v in values if _enum_text(v) not in seen]
                if unseen:
                    quoted = ", ".join(f"'{v}'" for v in unseen)
                    missing.append(f"the values {quoted} of `{name}`")
        return missing

    def used_again(self, min_trials: int = 2) -> list[str]:
        """The free values (not an enum's) that successful calls of at least `min_trials`
        trials passed, most used first, in words: "`code`: 'FRA' (9 trials)"."""
        lines: list[str] = []
        for name, counts in self.values.items():
            common = [(v, n) for v, n in counts.most_common(USED_VALUES_SHOWN) if n >= min_trials]
            if common:
                shown = ", ".join(f"'{_cut(v)}' ({n} trials)" for v, n in common)
                lines.append(f"`{name}`: {shown}")
        return lines

    def as_dict(self) -> dict[str, Any]:
        return {
            "parameters": sorted(self.parameters),
            "distinct_values": sum(len(counts) for counts in self.values.values()),
            "distinct_errors": len(self.errors),
        }


def _number_text(value: float) -> str:
    """A number as a request writes it: 100000.0 as '100000', 4.25 as '4.25'."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _cut(value: str) -> str:
    return value if len(value) <= MAX_VALUE_CHARS else value[: MAX_VALUE_CHARS - 3] + "..."
