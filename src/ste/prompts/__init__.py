"""Every prompt lives in a .txt file in this folder; this is how they are read and filled."""

from __future__ import annotations

from functools import cache
from pathlib import Path

PROMPTS_DIR = Path(__file__).parent


@cache
def template(name: str) -> str:
    return (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8").strip()


def render(template_name: str, **values: str) -> str:
    """Fill `{key}` placeholders; literal braces in values (JSON) are left alone."""
    text = template(template_name)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text
