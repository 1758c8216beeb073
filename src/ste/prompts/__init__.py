"""Every model-facing text lives in a .txt file in this folder; this is how they are filled.

A template names its placeholders as `{identifier}`; other braces (JSON examples such as
`{"key": 1}`, or `{}`) are text. Rendering is strict: a placeholder without a value, or a
value for no placeholder (a misspelt name), raises, so a prompt never goes out half-filled.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent
PLACEHOLDER = re.compile(r"\{([a-z_][a-z0-9_]*)\}")


@cache
def template(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def placeholders(template_name: str) -> set[str]:
    return set(PLACEHOLDER.findall(template(template_name)))


def render(template_name: str, **values: str) -> str:
    """Fill every `{key}` placeholder in one pass (braces inside values are left alone)."""
    text = template(template_name)
    wanted = placeholders(template_name)
    missing, unknown = wanted - set(values), set(values) - wanted
    if missing or unknown:
        raise KeyError(
            f"prompt {template_name!r}: "
            + "; ".join(
                part
                for part in (
                    f"no value for {', '.join(sorted(missing))}" if missing else "",
                    f"no placeholder {', '.join(sorted(unknown))}" if unknown else "",
                )
                if part
            )
        )
    return PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
