"""A code of another length than the codes the tool's own description shows.

A parameter documented as "ISO 3166-1 alpha-3 country code, e.g. 'FRA'" is called with
'CH' for Switzerland: a small model writes the code it knows best (alpha-2), whatever the
description says. In xdev2's best in-context condition, four of the 1.5B model's 41 misses
were such codes ('CH', 'ZA', 'IE', 'BE' for an alpha-3 parameter); the tool refuses them,
so the call is wrong before it runs. The rule reads only the tool's own examples: the
upper-case codes of two to five letters the parameter's description quotes. A value that
is a code of letters alone, of a length none of them has, fails; a parameter whose examples
have several lengths ('US' or 'USA') takes either. A call the tool has run and accepted is
not judged by it (the tool takes that form too), so it runs before a call only
(`ste.icl.revision.BEFORE_RUNNING`).
"""

from __future__ import annotations

import re
from typing import Any

from ste.checks.verdict import Check
from ste.records import Trial
from ste.tools.tool import Tool

_EXAMPLE = re.compile(r"(?<![\w])['\"`]([A-Z]{2,5})['\"`](?![\w])")
_CODE = re.compile(r"[A-Za-z]{2,5}")


def example_codes(schema: dict[str, Any]) -> list[str]:
    """The upper-case codes a parameter's description quotes ("e.g. 'FRA'")."""
    return list(dict.fromkeys(_EXAMPLE.findall(str(schema.get("description", "")))))


def codes_as_shown(trial: Trial, tool: Tool) -> Check:
    """Each code a call not yet refused passes has a length of the codes its parameter's
    description shows."""
    properties = tool.parameters.get("properties", {})
    for step in trial.call_steps:
        if step.call is None or step.tool_ok is False:
            continue
        for name, value in step.call.arguments.items():
            schema = properties.get(name) or {}
            if not isinstance(value, str) or not _CODE.fullmatch(value) or schema.get("enum"):
                continue
            shown = example_codes(schema)
            lengths = sorted({len(code) for code in shown})
            if shown and len(value) not in lengths:
                examples = ", ".join(f"'{code}'" for code in shown[:3])
                letters = " or ".join(str(n) for n in lengths)
                return Check(
                    "codes_as_shown",
                    False,
                    f"{name}={value!r} is a code of {len(value)} letters; the tool's "
                    f"description shows {name} as codes of {letters} letters ({examples})",
                )
    return Check("codes_as_shown", True, "every code has the length the tool's examples show")
