"""Grammar-constrained tool calls for llama.cpp models: a reply can only be a call whose
arguments fit the tool's JSON Schema (names, types, enums, required fields), or an answer.

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


def _per_tool(tools: list[Tool]) -> tuple[list[tuple[str, str]], str] | None:
    # the properties in the schema's own order: the order the model reads them in
    schemas = tuple(json.dumps(t.parameters) for t in tools)
    built = _arguments_rules(schemas)
    if built is None:
        return None
    roots, rules = built
    return [(tool.name, root) for tool, root in zip(tools, roots, strict=True)], rules


def react_grammar(tools: list[Tool]) -> str | None:
    """`Thought: ...` then `Action: NAME` + `Action Input: {arguments}`, or `Final Answer: ...`."""
    built = _per_tool(tools)
    if built is None:
        return None
    calls, rules = built
    actions = " | ".join(
        f"{_literal(name + chr(10) + 'Action Input: ')} {root}" for name, root in calls
    )
    return "\n".join(
        [
            f'root ::= "Thought: " [^\\n]* "\\n" ( "Action: " ( {actions} ) | '
            f'"Final Answer: " {_ANY_TEXT} )',
            rules,
        ]
    )


def native_grammar(tools: list[Tool]) -> str | None:
    """`<tool_call>{"name": NAME, "arguments": {...}}</tool_call>` (Qwen's form), or text."""
    built = _per_tool(tools)
    if built is None:
        return None
    calls, rules = built
    options = " | ".join(
        f"{_literal(name + chr(34) + ', ' + chr(34) + 'arguments' + chr(34) + ': ')} {root}"
        for name, root in calls
    )
    opening = _literal('<tool_call>\n{"name": "')
    return "\n".join(
        [
            f'root ::= {opening} ( {options} ) "}}\\n</tool_call>" | [^<{{\\n] {_ANY_TEXT}',
            rules,
        ]
    )
