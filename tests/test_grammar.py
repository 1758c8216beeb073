"""Grammar-constrained calls: the tools' JSON Schemas as a GBNF grammar for llama.cpp."""

import pytest

from conftest import require_module
from ste.agent.grammar import native_grammar, react_grammar
from ste.tools import load_tools

require_module("llama_cpp")


@pytest.mark.parametrize("build", [react_grammar, native_grammar])
@pytest.mark.parametrize("answer", [True, False])
def test_every_bundled_tool_schema_becomes_one_grammar_llama_cpp_reads(build, answer):
    from llama_cpp.llama_grammar import LlamaGrammar

    tools = load_tools()
    grammar = build(tools, answer)
    assert grammar is not None
    for tool in tools:
        assert f'"{tool.name}' in grammar
    LlamaGrammar.from_string(grammar, verbose=False)  # raises on a malformed grammar


def test_the_react_grammar_lists_each_tool_with_its_own_arguments_rule():
    tools = load_tools()[:2]
    grammar = react_grammar(tools)
    first = grammar.splitlines()[0]
    assert first.startswith('root ::= "Thought: "')
    assert '"hash_text\\nAction Input: " tool0-args' in first
    assert '"base64_convert\\nAction Input: " tool1-args' in first
    assert '"Final Answer: "' in first
    only_calls = react_grammar(tools, answer=False).splitlines()[0]
    assert "Final Answer" not in only_calls and '"hash_text\\nAction Input: "' in only_calls


def test_arguments_keep_the_schemas_property_order():
    tool = next(t for t in load_tools() if t.name == "hash_text")
    grammar = react_grammar([tool])
    rule = next(line for line in grammar.splitlines() if line.startswith("tool0-args ::="))
    positions = [rule.index(f"tool0-args-{name}-kv") for name in tool.parameters["properties"]]
    assert positions == sorted(positions), rule
