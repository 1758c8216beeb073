"""Grammar-constrained tool calls for llama.cpp models: a reply can only be a call whose
arguments fit the tool's JSON Schema (names, types, enums, required fields), or an answer;
or, for a model that answered without the call it was asked to make, only such a call.

The grammar (GBNF) is built from the tools' schemas with llama-cpp-python's own JSON Schema
converter, one set of rules per tool, and goes with the request in `Generation.gbnf`;
backends that cannot apply one (endpoints) ignore it.
"""

from __future__ import annotations

import json
from functools import lru_cache

from ste.tools.tool import Tool

_ANY_TEXT = '( [^\\n] | "\\n" )*'


def _literal(text: str) -> str:
    return json.dumps(text)  # a GBNF string literal is a JSON string


@lru_cache(maxsize=64)
def _arguments_rules(schemas: tuple[str, ...]) -> tuple[list[str], str] | None:
    """Each schema's root rule name, and all the rules (None without llama-cpp-python)."""
    try:
        from llama_cpp.llama_grammar import SchemaConverter
    except ImportError:
        return None
    converter = SchemaConverter(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    roots = []
    for index, text in enumerate(schemas):
        schema = converter.resolve_refs(json.loads(text), f"tool{index}")
        roots.append(converter.visit(schema, f"tool{index}-args"))
    return roots, converter.format_grammar()


def _grammar(tools: list[Tool], before_arguments: str, root: str) -> str | None:
    """A grammar whose `root` (with `{calls}` in it) chooses a tool by the text
    `before_arguments` (with `{name}` in it), then that tool's arguments rule."""
    schemas = tuple(json.dumps(t.parameters) for t in tools)  # in the schema's own key order
    built = _arguments_rules(schemas)
    if built is None:
        return None
    roots, rules = built
    calls = " | ".join(
        _literal(before_arguments.replace("{name}", tool.name)) + " " + rule
        for tool, rule in zip(tools, roots, strict=True)
    )
    return "root ::= " + root.replace("{calls}", calls) + "\n" + rules


def react_grammar(tools: list[Tool], answer: bool = True) -> str | None:
    """`Thought: ...` then `Action: NAME` + `Action Input: {arguments}`, or (with `answer`)
    `Final Answer: ...`."""
    answers = ' | "Final Answer: " ' + _ANY_TEXT if answer else ""
    root = '"Thought: " [^\\n]* "\\n" ( "Action: " ( {calls} )' + answers + " )"
    return _grammar(tools, "{name}\nAction Input: ", root)


def native_grammar(tools: list[Tool], answer: bool = True) -> str | None:
    """`<tool_call>{"name": NAME, "arguments": {...}}</tool_call>` (Qwen's form), or (with
    `answer`) text."""
    opening = _literal('<tool_call>\n{"name": "')
    texts = " | [^<{\\n] " + _ANY_TEXT if answer else ""
    root = opening + ' ( {calls} ) "}\\n</tool_call>"' + texts
    return _grammar(tools, '{name}", "arguments": ', root)
