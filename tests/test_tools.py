import asyncio
import dataclasses
import threading
import time

import pytest

from ste.errors import ToolboxError
from ste.tools import BUNDLED_TOOLBOX, execute, load_tools


@pytest.fixture
def sample(toolboxes):
    return {t.name: t for t in load_tools(str(toolboxes / "sample.py"))}


def test_public_functions_defined_in_the_module_become_tools_in_order(sample):
    assert list(sample) == ["convert", "tag", "slow", "block", "explode", "big"]


def test_description_is_the_first_paragraph(sample):
    assert sample["convert"].description == "Convert a distance between kilometres and miles."


def test_schema_from_hints_defaults_and_args_section(sample):
    convert = sample["convert"].parameters
    assert convert["required"] == ["value", "unit"]
    assert convert["properties"]["value"] == {
        "type": "number",
        "description": "The distance to convert.",
    }
    assert convert["properties"]["unit"]["enum"] == ["km", "mi"]
    assert convert["properties"]["unit"]["type"] == "string"
    assert convert["properties"]["precision"]["default"] == 2
    assert convert["additionalProperties"] is False

    tag = sample["tag"].parameters["properties"]
    assert sample["tag"].parameters["required"] == ["items"]
    assert tag["items"]["type"] == "array"
    assert tag["items"]["items"] == {"type": "integer"}
    assert tag["label"]["type"] == ["string", "null"]
    assert tag["meta"]["type"] == ["object", "null"]
    assert tag["meta"]["additionalProperties"] == {"type": "string"}
    assert tag["flag"] == {
        "type": "boolean",
        "description": "Whether to flag them.",
        "default": False,
    }


def test_bundled_toolbox_is_the_default():
    tools = load_tools(None)
    assert len(tools) >= 8
    assert load_tools(str(BUNDLED_TOOLBOX))[0].name == tools[0].name


def test_syntax_error_is_one_clear_error(toolboxes):
    with pytest.raises(ToolboxError, match=r"syntax_error\.py:1: syntax error"):
        load_tools(str(toolboxes / "syntax_error.py"))


def test_missing_type_hint_names_the_parameter(toolboxes):
    with pytest.raises(ToolboxError, match=r"function untyped: parameter 'x' has no type hint"):
        load_tools(str(toolboxes / "untyped.py"))


def test_no_public_functions(toolboxes):
    with pytest.raises(ToolboxError, match="defines no public functions"):
        load_tools(str(toolboxes / "empty.py"))


def test_missing_file_and_unknown_module(tmp_path):
    with pytest.raises(ToolboxError, match="no such toolbox file"):
        load_tools(str(tmp_path / "nope.py"))
    with pytest.raises(ToolboxError, match="neither a Python file nor an importable module"):
        load_tools("no_such_module_xyz")


def test_importable_module_works():
    tools = load_tools("ste.tools.bundled.toolbox")
    assert len(tools) >= 8


async def test_valid_call_returns_json_text(sample):
    result = await execute(sample["convert"], {"value": 10, "unit": "km"})
    assert result.ok
    assert result.value == {"result": 6.21, "unit": "mi"}
    assert result.observation == '{"result": 6.21, "unit": "mi"}'


async def test_schema_violations_are_observations_not_calls(sample):
    result = await execute(sample["convert"], {"value": "ten", "unit": "yards", "extra": 1})
    assert not result.ok and result.error_kind == "invalid_arguments"
    assert "'value': 'ten' is not of type 'number'" in result.observation
    assert "'unit': 'yards' is not one of ['km', 'mi']" in result.observation
    assert "'extra' was unexpected" in result.observation
    assert "(the tool takes only: value, unit, precision)" in result.observation
    missing = await execute(sample["convert"], {"value": 1})
    assert "'unit' is a required property" in missing.observation
    # with what the missing one is, from its description
    assert "(unit: The unit `value` is in: 'km' or 'mi'.)" in missing.observation
    not_object = await execute(sample["convert"], ["km"])
    assert "arguments must be a JSON object" in not_object.observation


async def test_a_number_written_in_quotes_is_told_without_them(sample):
    result = await execute(sample["convert"], {"value": "10", "unit": "km", "precision": "2"})
    assert not result.ok
    assert (
        "'value': '10' is not of type 'number' (write it without quotes: 10)" in result.observation
    )
    assert "'precision': '2' is not of type 'integer' (write it without quotes: 2)" in (
        result.observation
    )
    ten = await execute(sample["convert"], {"value": "ten", "unit": "km"})
    assert "without quotes" not in ten.observation  # no number written: nothing to tell


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        (
            {"value": "10", "unit": "km", "precision": "2"},
            {"value": 10, "unit": "km", "precision": 2},
        ),
        ({"value": "2.5", "unit": "km"}, {"value": 2.5, "unit": "km"}),
        ({"value": 10, "unit": "km", "precision": "2.5"}, None),  # no integer
        ({"value": "NaN", "unit": "km"}, None),
        ({"value": 10, "unit": "km"}, None),  # nothing to change
    ],
)
def test_strings_that_write_the_number_a_parameter_wants_are_retyped(sample, arguments, expected):
    from ste.tools.execute import retyped_arguments

    assert retyped_arguments(sample["convert"].parameters, arguments) == expected


async def test_integral_floats_reach_integer_parameters_as_int(sample):
    result = await execute(sample["convert"], {"value": 10, "unit": "km", "precision": 1.0})
    assert result.value == {"result": 6.2, "unit": "mi"}


async def test_value_error_text_is_returned_verbatim(sample):
    result = await execute(sample["convert"], {"value": -1, "unit": "km"})
    assert result.error_kind == "tool_error"
    assert result.observation == "Error: value must be >= 0, got a negative distance"


async def test_other_exceptions_and_exit_become_observations(sample):
    key = await execute(sample["explode"], {"kind": "key"})
    assert key.observation == "Error: KeyError: 'missing'"
    exiting = await execute(sample["explode"], {"kind": "exit"})
    assert not exiting.ok and "SystemExit" in exiting.observation
    unserialisable = await execute(sample["explode"], {"kind": "object"})
    assert unserialisable.error_kind == "unserialisable"


async def test_timeouts_for_async_and_blocking_tools(sample):
    started = time.perf_counter()
    slow = await execute(sample["slow"], {"seconds": 5}, timeout=0.2)
    blocking = await execute(sample["block"], {"seconds": 5}, timeout=0.2)
    assert slow.error_kind == "timeout" and blocking.error_kind == "timeout"
    assert "did not answer within 0.2 seconds" in blocking.observation
    # neither waited for its tool to finish (5 s each, 10 s in all)
    assert time.perf_counter() - started < 5


async def test_concurrent_blocking_calls_run_in_parallel(sample):
    # Each call blocks until all five are in flight at once: run one after another,
    # the first would wait alone until the barrier gives up and the calls would fail.
    # No wall-clock bound, so a busy machine cannot make it fail.
    barrier = threading.Barrier(5)

    def block(seconds: float) -> str:
        barrier.wait(timeout=seconds)
        return "done"

    tool = dataclasses.replace(sample["block"], function=block)
    results = await asyncio.gather(*[execute(tool, {"seconds": 30}, timeout=60) for _ in range(5)])
    assert [r.observation for r in results] == ["done"] * 5


async def test_long_results_are_truncated_with_a_marker(sample):
    result = await execute(sample["big"], {"n": 5000}, max_chars=100)
    assert result.truncated
    assert result.observation == "x" * 100 + "... [truncated: 4900 more characters]"
    short = await execute(sample["big"], {"n": 50}, max_chars=100)
    assert not short.truncated and short.observation == "x" * 50
