"""Judge-free argument correctness: is a predicted tool call one of the expected calls?

The rules are those of the benchmark format spec:

- the tool name must be equal;
- every expected argument must be present and equal (see `values_equal`), except that an
  expected argument equal to the parameter's default may be omitted;
- an argument the prediction adds is accepted only if it equals that parameter's default;
- with several acceptable expected calls, matching any one of them is enough.

Defaults come from the tool's JSON Schema (`schema["properties"][name]["default"]`).
`lenient_match_any` is the paper's string-match rule, reported beside the strict one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

REL_TOL = Fraction(1, 10**6)  # FORMAT.md: relative tolerance 1e-6, and no absolute one


@dataclass
class Verdict:
    """Whether a predicted call is correct, and if not, what differs."""

    ok: bool
    reason: str  # "ok", or a human-readable account of the first differences


def values_equal(expected: Any, predicted: Any) -> bool:
    """Whether two JSON-like values are equal under the benchmark's rules.

    Numbers compare by value with a relative tolerance of 1e-6 and no absolute tolerance
    (`3 == 3.0`; 0 equals only 0; NaN never equal; exact for integers of any size);
    strings compare after `strip()` and `casefold()`; lists and dicts compare element by
    element (dicts must have the same keys). A string never equals a number and a boolean
    equals only a boolean.
    """
    if isinstance(expected, bool) or isinstance(predicted, bool):
        return type(expected) is type(predicted) and expected == predicted
    if _is_number(expected) or _is_number(predicted):
        if not (_is_number(expected) and _is_number(predicted)):
            return False
        return _numbers_close(expected, predicted)
    if isinstance(expected, str) or isinstance(predicted, str):
        if not (isinstance(expected, str) and isinstance(predicted, str)):
            return False
        return expected.strip().casefold() == predicted.strip().casefold()
    if expected is None or predicted is None:
        return expected is None and predicted is None
    if isinstance(expected, list | tuple) or isinstance(predicted, list | tuple):
        if not (isinstance(expected, list | tuple) and isinstance(predicted, list | tuple)):
            return False
        return len(expected) == len(predicted) and all(
            values_equal(e, p) for e, p in zip(expected, predicted, strict=True)
        )
    if isinstance(expected, dict) or isinstance(predicted, dict):
        if not (isinstance(expected, dict) and isinstance(predicted, dict)):
            return False
        return expected.keys() == predicted.keys() and all(
            values_equal(value, predicted[key]) for key, value in expected.items()
        )
    return expected == predicted


def match_call(
    predicted_name: str,
    predicted_args: dict,
    expected: dict,
    schema: dict | None = None,
) -> Verdict:
    """Judge a predicted call against one expected call `{"name": ..., "arguments": {...}}`."""
    problems = _problems(predicted_name, predicted_args, expected, schema)
    return Verdict(ok=not problems, reason="; ".join(problems) or "ok")


def match_any(
    predicted_name: str,
    predicted_args: dict,
    expected: list[dict],
    schema: dict | None = None,
) -> Verdict:
    """Correct if the prediction matches any expected call.

    Otherwise the reason is that of the closest expected call: one with the same tool name
    if there is one, then the one with the fewest differences.
    """
    return _closest(
        predicted_name,
        [(call, _problems(predicted_name, predicted_args, call, schema)) for call in expected],
    )


def lenient_match_any(predicted_name: str, predicted_args: dict, expected: list[dict]) -> Verdict:
    """The paper's string-match rule: correct if any expected call matches leniently.

    The tool name must be equal and every expected argument present with
    `str(value).strip().lower()` equal; whatever else the prediction adds is ignored.
    """
    return _closest(
        predicted_name,
        [(call, _lenient_problems(predicted_name, predicted_args, call)) for call in expected],
    )


_NO_DEFAULT = object()


def _closest(predicted_name: str, judged: list[tuple[dict, list[str]]]) -> Verdict:
    """Ok if some expected call has no problems, else the problems of the closest one."""
    if not judged:
        return Verdict(ok=False, reason="no expected calls")
    _, problems = min(
        judged, key=lambda item: (item[0].get("name") != predicted_name, len(item[1]))
    )
    return Verdict(ok=not problems, reason="; ".join(problems) or "ok")


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _finite(value: int | float) -> bool:
    return isinstance(value, int) or math.isfinite(value)  # an int of any size is finite


def _numbers_close(expected: int | float, predicted: int | float) -> bool:
    """|e - p| <= 1e-6 * max(|e|, |p|), computed exactly (a 400-digit integer is no float)."""
    if not (_finite(expected) and _finite(predicted)):
        return expected == predicted  # inf equals inf of the same sign; NaN equals nothing
    exact_e, exact_p = Fraction(expected), Fraction(predicted)
    return abs(exact_e - exact_p) <= REL_TOL * max(abs(exact_e), abs(exact_p))


def _default(schema: dict | None, name: str) -> Any:
    """The parameter's default, or `_NO_DEFAULT` when none is known."""
    if not schema:
        return _NO_DEFAULT  # unknown schema: no defaults are known
    properties = schema.get("properties") or {}
    if name not in properties:
        return _NO_DEFAULT
    spec = properties[name]
    if isinstance(spec, dict) and "default" in spec:
        return spec["default"]
    # No "default" in the schema: none is known, so `null` is a value like any other (FORMAT.md:
    # null equals a parameter whose default is None, i.e. `"default": null`).
    return _NO_DEFAULT


def _problems(
    predicted_name: str, predicted_args: dict, expected: dict, schema: dict | None
) -> list[str]:
    expected_name = expected.get("name")
    if predicted_name != expected_name:
        return [f"tool: expected {expected_name}, got {predicted_name}"]
    expected_args = expected.get("arguments") or {}
    predicted_args = predicted_args or {}
    problems = []
    for name, value in expected_args.items():
        if name in predicted_args:
            if not values_equal(value, predicted_args[name]):
                problems.append(
                    f"argument {name!r}: expected {value!r}, got {predicted_args[name]!r}"
                )
            continue
        default = _default(schema, name)
        if default is _NO_DEFAULT or not values_equal(value, default):
            problems.append(f"missing argument {name!r}")
    for name, value in predicted_args.items():
        if name in expected_args:
            continue
        default = _default(schema, name)
        if default is _NO_DEFAULT:
            problems.append(f"extra argument {name!r}={value!r}")
        elif not values_equal(default, value):
            problems.append(f"extra argument {name!r}={value!r} (default {default!r})")
    return problems


def _lenient_problems(predicted_name: str, predicted_args: dict, expected: dict) -> list[str]:
    expected_name = expected.get("name")
    if predicted_name != expected_name:
        return [f"tool: expected {expected_name}, got {predicted_name}"]
    predicted_args = predicted_args or {}
    problems = []
    for name, value in (expected.get("arguments") or {}).items():
        if name not in predicted_args:
            problems.append(f"missing argument {name!r}")
        elif _loose(value) != _loose(predicted_args[name]):
            problems.append(f"argument {name!r}: expected {value!r}, got {predicted_args[name]!r}")
    return problems


def _loose(value: Any) -> str:
    return str(value).strip().lower()
