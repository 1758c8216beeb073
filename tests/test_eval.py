"""`ste eval` with a scripted model: scoring, denominators, resume, malformed test files."""

import json

import pytest

from scripted import ScriptedModel
from ste.errors import SteError
from ste.eval.runner import EvalSettings, prepare_out_dir, read_items, run_eval
from ste.eval.summary import markdown, summarise_by_tool
from ste.eval.testset import load_tests
from ste.tools import load_tools

ITEMS = [
    {
        "id": "a",
        "query": "10 km in miles?",
        "expected": [{"name": "convert", "arguments": {"value": 10, "unit": "km"}}],
    },
    {
        "id": "b",
        "query": "5 mi in km?",
        "expected": [{"name": "convert", "arguments": {"value": 5, "unit": "mi"}}],
    },
    {
        "id": "c",
        "query": "label 1 and 2",
        "tools": ["tag", "convert"],
        "expected": [{"name": "tag", "arguments": {"items": [1, 2]}}],
    },
    {
        "id": "d",
        "query": "7 km?",
        "expected": [{"name": "convert", "arguments": {"value": 7, "unit": "km"}}],
    },
]


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


@pytest.fixture
def tests_file(tmp_path):
    path = tmp_path / "tests.jsonl"
    path.write_text("\n".join(json.dumps(i) for i in ITEMS) + "\n")
    return path


REPLIES = [
    # a: correct, with the default precision spelled out
    'Action: convert\nAction Input: {"value": 10.0, "unit": "km", "precision": 2}',
    # b: right tool, wrong unit -> not correct, not equivalent
    'Action: convert\nAction Input: {"value": 5, "unit": "km"}',
    # c: not well-formed (answers directly)
    "Final Answer: done",
    # d: extra non-default argument: strict no, lenient yes, execution differs
    'Action: convert\nAction Input: {"value": 7, "unit": "km", "precision": 0}',
]


async def test_first_call_scoring_and_denominators(tools, tests_file, tmp_path):
    items = load_tests(tests_file, [t.name for t in tools])
    model = ScriptedModel(list(REPLIES))
    out = tmp_path / "results"
    settings = EvalSettings()
    prepare_out_dir(out, settings.manifest(model, tests_file, tools), force=False)
    records = await run_eval(model, tools, items, out, settings)
    by_id = {r.id: r for r in records}
    assert by_id["a"].correct and by_id["a"].exec_equivalent
    assert by_id["b"].api_match and not by_id["b"].correct
    assert "unit" in by_id["b"].correct_reason and not by_id["b"].exec_equivalent
    assert not by_id["c"].well_formed and by_id["c"].reason == "answered without a call"
    assert not by_id["d"].correct and by_id["d"].lenient_correct
    assert not by_id["d"].exec_equivalent
    # item c offered only its two tools
    assert "API_name: slow" not in model.requests[2]["messages"][0]["content"]
    assert "API_name: tag" in model.requests[2]["messages"][0]["content"]

    summary = summarise_by_tool(records)["overall"]
    assert summary["well_formed"]["rate"] == 75.0
    assert summary["api_match"]["n"] == 3 and summary["api_match"]["rate"] == 100.0
    assert summary["correct"]["rate"] == 25.0 and summary["correct"]["n"] == 4
    # the paper's lenient rule compares str(): 10 vs 10.0 fails it, the extra argument does not
    assert not by_id["a"].lenient_correct
    assert summary["lenient_correct"]["rate"] == 25.0
    assert summary["exec_equivalent"]["rate"] == 25.0
    assert 0 < summary["correct"]["ci_low"] < 25.0 < summary["correct"]["ci_high"]
    table = markdown(summarise_by_tool(records), "t")
    assert "| **overall** | 4 | 75.0" in table and "| convert | 3 |" in table


async def test_an_interrupted_eval_resumes_without_repeating_items(tools, tests_file, tmp_path):
    items = load_tests(tests_file)
    out = tmp_path / "results"
    settings = EvalSettings()
    first = ScriptedModel(list(REPLIES[:2]))
    prepare_out_dir(out, settings.manifest(first, tests_file, tools), force=False)
    await run_eval(first, tools, items[:2], out, settings)
    with (out / "items.jsonl").open("a") as sink:
        sink.write('{"id": "c", "trunc')  # a kill in the middle of a write
    second = ScriptedModel(list(REPLIES[2:]))
    done = prepare_out_dir(out, settings.manifest(second, tests_file, tools), force=False)
    assert [r["id"] for r in done] == ["a", "b"]
    records = await run_eval(second, tools, items, out, settings)
    assert [r.id for r in records] == ["a", "b", "c", "d"]
    assert len(second.requests) == 2
    # what later readers (compare, report) see: every item once, the fragment gone
    lines = (out / "items.jsonl").read_text().splitlines()
    assert [json.loads(line)["id"] for line in lines] == ["a", "b", "c", "d"]
    assert [r.id for r in read_items(out)] == ["a", "b", "c", "d"]


def test_resuming_with_other_settings_is_refused(tools, tests_file, tmp_path):
    out = tmp_path / "results"
    model = ScriptedModel([])
    prepare_out_dir(out, EvalSettings().manifest(model, tests_file, tools), force=False)
    other = EvalSettings(protocol="native").manifest(model, tests_file, tools)
    with pytest.raises(SteError, match="protocol 'react' -> 'native'"):
        prepare_out_dir(out, other, force=False)
    prepare_out_dir(out, other, force=True)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("{not json", "tests.jsonl:2: not valid JSON"),
        ('{"id": "x", "query": "q"}', "tests.jsonl:2: expected: Field required"),
        ('{"id": "x", "query": "q", "expected": []}', "tests.jsonl:2: expected"),
        ('{"id": "a", "query": "q", "expected": [{"name": "convert"}]}', "duplicate id 'a'"),
        (
            '{"id": "x", "query": "q", "expected": [{"name": "fly"}]}',
            "tools not in the toolbox: fly",
        ),
    ],
)
def test_malformed_test_lines_are_reported_with_their_line_number(tmp_path, tools, line, message):
    path = tmp_path / "tests.jsonl"
    path.write_text(json.dumps(ITEMS[0]) + "\n" + line + "\n")
    with pytest.raises(SteError, match=message):
        load_tests(path, [t.name for t in tools])


async def test_compare_reports_deltas_and_mcnemar(tools, tests_file, tmp_path):
    from ste.eval.compare import compare_results

    items = load_tests(tests_file)
    runs = {}
    for label, replies in {
        "a": ["Final Answer: x"] * 4,
        "b": [REPLIES[0], REPLIES[1], REPLIES[2], REPLIES[3]],
    }.items():
        out = tmp_path / label
        settings = EvalSettings()
        model = ScriptedModel(list(replies))
        prepare_out_dir(out, settings.manifest(model, tests_file, tools), force=False)
        await run_eval(model, tools, items, out, settings)
        runs[label] = out
    text = compare_results(runs["a"], runs["b"])
    assert "| overall | correct | 0.0 | 25.0 | +25.0 |" in text
    assert "0 items right only in A, 1 right only in B, p = 1" in text
    with pytest.raises(SteError, match="no items.jsonl"):
        compare_results(tmp_path / "missing", runs["b"])


async def test_full_runs_to_the_final_answer_and_scores_it(tools, tmp_path):
    tests_path = tmp_path / "tests.jsonl"
    rows = [
        {**ITEMS[0], "answer": "6.21"},
        {**ITEMS[1], "answer": "8.05"},
    ]
    tests_path.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    items = load_tests(tests_path)
    model = ScriptedModel(
        [
            'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
            "Thought: I now know the final answer\nFinal Answer: 10 km is 6.21 miles.",
            'Action: convert\nAction Input: {"value": 5, "unit": "mi"}',
            "Final Answer: about 8 km",
        ]
    )
    out = tmp_path / "results"
    settings = EvalSettings(full=True)
    prepare_out_dir(out, settings.manifest(model, tests_path, tools), force=False)
    records = await run_eval(model, tools, items, out, settings)
    assert [r.answer_correct for r in records] == [True, False]
    assert records[0].final_answer == "10 km is 6.21 miles."
    assert all(r.correct for r in records)  # the first call is still what `correct` scores
    # the observation of the executed call went back to the model before it answered
    assert "Observation:" in model.requests[1]["messages"][-1]["content"]
    summary = summarise_by_tool(records)["overall"]
    assert summary["answer_correct"]["rate"] == 50.0
