"""Running a model on ToolBench-50 (scripted here) and scoring it as the paper does."""

import json
from pathlib import Path

import pytest

from scripted import ScriptedModel, call
from ste.errors import SteError
from ste.eval.toolbench import judge_anew, score_prediction_file
from ste.eval.toolbench_run import (
    _parameters,
    is_toolbench_dir,
    load_toolbench,
    run_toolbench,
)
from toolbench_fixture import PROSE, RAPID, make_toolbench


@pytest.fixture
def bench(tmp_path: Path) -> Path:
    return make_toolbench(tmp_path / "tb")


def test_rapidapi_descriptions_become_json_schemas():
    schema = _parameters(RAPID)
    assert schema["properties"]["number"] == {"type": "number", "description": "the number"}
    assert schema["properties"]["lang"] == {"type": "string", "default": "en"}
    assert schema["properties"]["upper"] == {"type": "boolean"}
    assert schema["required"] == ["number"]
    assert _parameters(PROSE) == {"type": "object"}  # BMTools APIs state their args in prose


def test_a_folder_missing_files_is_refused(bench):
    (bench / "api2neighbors.json").unlink()
    assert not is_toolbench_dir(bench)
    with pytest.raises(SteError, match="missing api2neighbors.json"):
        load_toolbench(bench)


async def test_predictions_are_written_in_the_papers_layout_and_scored(bench, tmp_path):
    tests, tools = load_toolbench(bench)
    replies = [
        'Thought: add\nAction: add_date\nAction Input: {"date": "2024-01-01", "days": 10}',
        "Final Answer: 2024-02-04",
        'Action: Numbers%%Words\nAction Input: {"number": 42}',
        'Action: Numbers%%Words\nAction Input: {"number": 7}',
    ]
    model = ScriptedModel(replies)
    out = tmp_path / "out"
    out.mkdir()
    path = await run_toolbench(model, tests, tools, out)
    # each item offered exactly its neighbours, and nothing was executed
    first_prompt = model.requests[0]["messages"][0]["content"]
    assert "API_name: search" in first_prompt and "Numbers%%Words" not in first_prompt
    predictions = json.loads(path.read_text())
    assert list(predictions) == ["add_date", "Numbers%%Words"]
    assert predictions["add_date"][1]["model_output"] == "Final Answer: 2024-02-04"
    assert predictions["add_date"][0]["action_input"] == json.dumps(
        {"date": "2024-01-01", "days": 10}
    )

    judge_model = ScriptedModel(["Yes. Same number.", "No. The language fr is missing."])
    judge, count = await judge_anew(judge_model, path, bench)
    assert count == 2  # only the API-matched calls of the judged (not string-matched) API
    scores = score_prediction_file(path, bench, judge)
    verdicts = [(s.api, s.well_formed, s.api_match, s.correct) for s in scores.items]
    assert verdicts == [
        ("add_date", True, True, True),
        ("add_date", False, False, False),
        ("Numbers%%Words", True, True, True),
        ("Numbers%%Words", True, True, False),
    ]
    assert "language fr is missing" in scores.items[3].reason
    assert (scores.well_formed, scores.api_match, scores.correct) == (75.0, 100.0, 50.0)


async def test_an_interrupted_run_resumes_without_repeating_items(bench, tmp_path):
    tests, tools = load_toolbench(bench)
    out = tmp_path / "out"
    out.mkdir()
    first = ScriptedModel(['Action: add_date\nAction Input: {"date": "2024-01-01", "days": 10}'])
    await run_toolbench(first, tests[:1], tools, out)
    with (out / "items.jsonl").open("a") as sink:
        sink.write('{"api": "add_date", "ind')  # killed mid-write
    second = ScriptedModel(["Final Answer: x"] * 3)
    path = await run_toolbench(second, tests, tools, out)
    assert len(second.requests) == 3
    outputs = [i["model_output"] for items in json.loads(path.read_text()).values() for i in items]
    assert outputs[0].startswith("Action: add_date") and outputs[1:] == ["Final Answer: x"] * 3
    lines = (out / "items.jsonl").read_text().splitlines()
    assert len(lines) == 4 and all(json.loads(line)["model_output"] for line in lines)


async def test_native_calls_are_written_as_react_for_the_papers_parser(bench, tmp_path):
    tests, tools = load_toolbench(bench)
    out = tmp_path / "out"
    out.mkdir()
    model = ScriptedModel([call("add_date", {"date": "2024-01-01", "days": 10})])
    path = await run_toolbench(model, tests[:1], tools, out, protocol="native")
    output = json.loads(path.read_text())["add_date"][0]["model_output"]
    assert output == 'Action: add_date\nAction Input: {"date": "2024-01-01", "days": 10}'
    assert model.requests[0]["tools"][0]["function"]["name"] == "add_date"
