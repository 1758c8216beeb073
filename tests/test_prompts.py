"""Every model-facing text is a prompt file, filled strictly."""

import ast
from pathlib import Path

import pytest

from ste.prompts import PROMPTS_DIR, placeholders, render

SRC = Path(__file__).parents[1] / "src" / "ste"


def test_a_missing_or_misspelt_placeholder_raises():
    with pytest.raises(KeyError, match="no value for query"):
        render("react_query")
    with pytest.raises(KeyError, match="no placeholder qeury"):
        render("react_query", query="q", qeury="q")
    assert render("react_query", query="x") == "User Query: x"


def test_braces_in_values_and_json_in_templates_are_left_alone():
    text = render("react_observation", observation='{"observation": "{query}"}')
    assert '{"observation": "{query}"}' in text
    assert render("react_bad_arguments", error="bad") == (
        'bad. Write the arguments as one JSON object, e.g. {"key": 1}.'
    )


def _render_calls():
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("render", "_reminded")
                and node.args
                and isinstance(node.args[0], ast.Constant)
            ):
                keys = {k.arg for k in node.keywords}
                if node.func.id == "_reminded":
                    keys = {"format_reminder"}
                yield f"{path.relative_to(SRC)}:{node.lineno}", node.args[0].value, keys


def test_every_render_call_in_the_code_names_a_file_and_fills_exactly_its_placeholders():
    calls = list(_render_calls())
    assert len(calls) > 40
    for where, name, keys in calls:
        assert (PROMPTS_DIR / f"{name}.txt").is_file(), where
        assert keys == placeholders(name), (where, name, keys, placeholders(name))
