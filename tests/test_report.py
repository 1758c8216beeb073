"""`ste report`: one self-contained HTML page for each kind of directory ste writes."""

import base64
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import require_module
from ste.cli import app
from ste.eval.stats import proportion_summary
from ste.eval.summary import summarise_by_tool
from ste.records import EvalRecord
from ste.report import build_report, detect
from ste.report.collect import token_series

require_module("matplotlib")

runner = CliRunner()
MALICIOUS = "<script>alert(1)</script>"
TOOLS = ("convert_units", "date_calc")


def write_json(path: Path, value) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, indent=1), encoding="utf-8")


def write_jsonl(path: Path, records) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


# --- fixtures: directories as ste writes them ----------------------------------------------


def step(call=None, observation=None, ok=None, parse_error=None, final=None, raw=""):
    return {
        "raw": raw or "Thought: ...",
        "thought": "I should use the tool",
        "call": call,
        "observation": observation,
        "tool_ok": ok,
        "error_kind": "invalid_arguments" if ok is False else None,
        "parse_error": parse_error,
        "final_answer": final,
    }


def trial(tool, episode, index, solved, *, tool_error=False, malformed=False, query=None):
    call = {"name": tool, "arguments": {"value": 3, "unit": "km"}}
    steps = []
    if malformed:
        steps.append(step(parse_error="No Action Input found.", raw="Action: convert_units"))
    if tool_error:
        steps.append(step(call, "Error: unknown unit 'kms'", ok=False))
    steps.append(step(call, '{"result": 1.864}', ok=True))
    steps.append(step(final="3 km is 1.864 miles."))
    return {
        "id": f"{tool}/e{episode + 1}/t{index + 1}",
        "tool": tool,
        "episode": episode,
        "trial": index,
        "seed": 7,
        "query": query or f"How far is 3 km in miles? ({tool} {episode} {index})",
        "imagination": ["..."],
        "steps": steps,
        "final_answer": "3 km is 1.864 miles.",
        "stop_reason": "final_answer",
        "calls": 1 + tool_error,
        "tool_errors": int(tool_error),
        "format_errors": int(malformed),
        "call_succeeded": True,
        "solved": solved,
        "reflection": "Yes" if solved else "No",
        "reflection_reason": "Yes, the tool gave the distance." if solved else "No, it failed.",
        "usage": {
            "prompt_tokens": 1200,
            "completion_tokens": 80,
            "calls": 4,
            "evaluated_prompt_tokens": 300,
        },
        "seconds": 6.5,
        "finished_at": 1_700_000_000 + 60 * (episode * 2 + index),
    }


def make_exploration(path: Path, timed: bool = True) -> Path:
    write_json(
        path / "manifest.json",
        {
            "kind": "ste-exploration",
            "ste_version": "0.1.0",
            "model": "qwen2.5-coder-1.5b",
            "settings": {"episodes": 2, "trials": 2, "max_turns": 4, "protocol": "react"},
            "tools": [{"name": t, "sha256": "0"} for t in TOOLS],
        },
    )
    trials = [
        trial("convert_units", 0, 0, False, tool_error=True, query=MALICIOUS),
        trial("convert_units", 0, 1, True, malformed=True),
        trial("convert_units", 1, 0, True, tool_error=True),
        trial("convert_units", 1, 1, True),
        trial("date_calc", 0, 0, False, tool_error=True),
        trial("date_calc", 0, 1, None),
        trial("date_calc", 1, 0, True),
        trial("date_calc", 1, 1, True),
    ]
    write_jsonl(path / "trials.jsonl", trials)
    ledger = []
    for number in range(32):
        entry = {
            "tool": TOOLS[number % 2],
            "episode": number // 16,
            "calls": 1,
            "prompt_tokens": 300 + 10 * number,
            "completion_tokens": 20,
            "evaluated_prompt_tokens": 75,
            "cached": number == 3,
            "seconds": 1.5,
        }
        if timed:
            entry["time"] = 1_700_000_000 + 15 * number
        ledger.append(entry)
    write_jsonl(path / "usage.jsonl", ledger)
    return path


def make_dataset(path: Path) -> Path:
    write_json(
        path / "manifest.json",
        {
            "kind": "ste-dataset",
            "run": "runs/explore",
            "explored_by": "qwen2.5-coder-1.5b",
            "judge": "qwen2.5-coder-1.5b",
            "paraphraser": "qwen2.5-coder-1.5b",
            "settings": {"judge": True},
        },
    )
    write_json(
        path / "summary.json",
        {
            "tools": {
                "convert_units": {
                    "explored": 4,
                    "kept": 2,
                    "rejected": {"call_succeeded": 1, "judge": 1},
                    "paraphrases_accepted": 5,
                    "paraphrases_rejected": 1,
                    "examples": 7,
                    "recovered": 1,
                },
                "date_calc": {
                    "explored": 4,
                    "kept": 1,
                    "rejected": {"finished": 2, "near_duplicate": 1},
                    "paraphrases_accepted": 2,
                    "paraphrases_rejected": 4,
                    "examples": 3,
                    "recovered": 0,
                },
            },
            "explored": 8,
            "kept": 3,
            "acceptance_pct": 37.5,
            "examples": 10,
            "dedup": "embedding >= 0.92",
            "exports": {"openai.train": "x", "sharegpt.train": "y"},
        },
    )
    write_json(
        path / "decisions.json",
        {
            "convert_units/e1/t1": {
                "tool": "convert_units",
                "kept": False,
                "rejected_by": "judge",
                "reason": f"not faithful {MALICIOUS}",
                "judge": {},
            },
            "convert_units/e1/t2": {"tool": "convert_units", "kept": True, "judge": {}},
        },
    )
    turns = [
        {
            "name": "convert_units",
            "arguments": {"value": 3},
            "observation": "Error: x",
            "ok": False,
        },
        {"name": "convert_units", "arguments": {"value": 3, "unit": "km"}, "observation": "1.86"},
    ]
    examples = [
        {
            "id": "convert_units/e1/t2",
            "tool": "convert_units",
            "query": MALICIOUS,
            "turns": turns,
            "final_answer": "1.86 miles",
            "source_trial": "convert_units/e1/t2",
            "paraphrase_of": None,
            "recovered": True,
            "split": "train",
        },
        {
            "id": "convert_units/e1/t2~p1",
            "tool": "convert_units",
            "query": "Three kilometres in miles, please.",
            "turns": turns[1:],
            "final_answer": "1.86 miles",
            "source_trial": "convert_units/e1/t2",
            "paraphrase_of": "convert_units/e1/t2",
            "recovered": False,
            "split": "dev",
        },
    ]
    write_jsonl(path / "examples.jsonl", examples)
    return path


def eval_items(correct_every: int) -> list[dict]:
    items = []
    for number in range(20):
        tool = TOOLS[number % 2]
        well_formed = number % 7 != 6
        api_match = well_formed and number % 5 != 4
        correct = api_match and number % correct_every == 0
        items.append(
            {
                "id": f"item-{number:03d}",
                "tool": tool,
                "query": MALICIOUS if number == 0 else f"Question {number} for {tool}?",
                "expected": [{"name": tool, "arguments": {"value": number}}],
                "raw": f'Thought: call it\nAction: {tool}\nAction Input: {{"value": {number}}}',
                "call": {"name": tool, "arguments": {"value": number}} if well_formed else None,
                "well_formed": well_formed,
                "reason": "ok" if well_formed else "no Action Input",
                "api_match": api_match,
                "correct": correct,
                "correct_reason": "ok" if correct else "value differs",
                "lenient_correct": correct,
                "exec_equivalent": correct,
                "usage": {"prompt_tokens": 2000, "completion_tokens": 40, "calls": 1},
                "seconds": 2.0,
            }
        )
    return items


def make_eval(path: Path, correct_every: int = 2) -> Path:
    items = eval_items(correct_every)
    write_jsonl(path / "items.jsonl", items)
    manifest = {"model": "qwen2.5-coder-1.5b", "tests": "bench/tests.jsonl", "protocol": "react"}
    write_json(path / "manifest.json", manifest)
    summary = summarise_by_tool([EvalRecord.read(item) for item in items])
    summary["manifest"] = manifest
    write_json(path / "summary.json", summary)
    return path


def make_experiment(path: Path) -> Path:
    make_eval(path / "baseline", correct_every=3)
    make_eval(path / "icl", correct_every=1)
    make_eval(path / "icl-no-ltm", correct_every=2)
    make_exploration(path / "explore")
    make_exploration(path / "explore-no-ltm")
    make_dataset(path / "dataset")
    names = {
        "baseline": "baseline",
        "icl": "STE in-context (k demonstrations)",
        "icl-no-ltm": "STE in-context, no ltm",
    }
    conditions = {
        label: {"folder": folder, **json.loads((path / folder / "summary.json").read_text())}
        for folder, label in names.items()
    }
    stage = {"done": True, "seconds": 600, "calls": 40, "prompt_tokens": 90_000}
    write_json(
        path / "results.json",
        {
            "bench": "bench/dev",
            "model": "qwen2.5-coder-1.5b",
            "settings": {"model": "qwen2.5-coder-1.5b", "protocol": "react", "ablations": ["ltm"]},
            "conditions": conditions,
            "stages": {
                name: {**stage, "completion_tokens": 3000}
                for name in ("baseline", "explore", "distill", "icl")
            },
            "budget": {"episodes x trials per tool": "2 x 2", "test items": 20},
        },
    )
    return path


# --- checks --------------------------------------------------------------------------------


def images(page: str) -> list[bytes]:
    found = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    return [base64.b64decode(data) for data in found]


def assert_self_contained(page: str) -> None:
    assert page.startswith("<!DOCTYPE html>")
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""\s(src|href)\s*=\s*(?!["']?(data:|#))""", page)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert MALICIOUS not in page
    pictures = images(page)
    assert pictures and all(p.startswith(b"\x89PNG\r\n\x1a\n") for p in pictures)


def report(path: Path, *extra: str):
    return runner.invoke(app, ["report", str(path), *extra], env={"COLUMNS": "200"})


def test_an_exploration_report_shows_the_learning_curve_tokens_and_trials(tmp_path):
    run = make_exploration(tmp_path / "run")
    result = report(run)
    assert result.exit_code == 0, result.output
    assert "exploration report ->" in result.output
    page = (run / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    for heading in ("Summary", "Learning curve", "Per tool", "Tokens", "Example trials"):
        assert f"<h2>{heading}</h2>" in page
    assert "Exploration: qwen2.5-coder-1.5b practising 2 tool(s)" in page
    # 5 of 7 judged trials solved; 3 of 11 calls failed
    assert "71.4%" in page and "27.3%" in page
    assert "of 8 planned" in page
    assert len(images(page)) == 3  # learning curve, per tool, tokens
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page  # the query, shown escaped
    assert "Not understood:" in page and "Observation (invalid_arguments):" in page
    assert page.count('<div class="traj">') == 4
    assert "<th>parameters used</th><th>distinct values</th><th>distinct errors</th>" in page


def test_tokens_are_plotted_against_time_or_else_request_number(tmp_path):
    timed = make_exploration(tmp_path / "timed")
    untimed = make_exploration(tmp_path / "untimed", timed=False)
    from ste.explore.rundir import RunDir

    series = token_series(RunDir(timed).read_ledger())
    assert series["x_label"] == "minutes since the first request"
    assert series["x"][0] == pytest.approx(0.025) and series["x"][-1] == pytest.approx(7.775)
    assert series["prompt"][-1] == sum(300 + 10 * n for n in range(32))
    assert series["evaluated"][-1] == 32 * 75 and series["completion"][-1] == 32 * 20
    series = token_series(RunDir(untimed).read_ledger())
    assert series["x_label"] == "model request" and series["x"] == list(range(1, 33))
    assert token_series([])["x"] == []


def test_a_run_without_finished_trials_still_reports(tmp_path):
    run = make_exploration(tmp_path / "run")
    (run / "trials.jsonl").write_text("")
    (run / "usage.jsonl").unlink()
    kind, page = build_report(run)
    assert kind == "exploration" and "No trial has finished yet." in page


def test_a_dataset_report_shows_the_funnel_and_examples(tmp_path):
    dataset = make_dataset(tmp_path / "data")
    out = tmp_path / "elsewhere" / "dataset.html"
    result = report(dataset, "--out", str(out))
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert not (dataset / "report.html").exists()
    assert_self_contained(page)
    for heading in ("Distillation funnel", "Per tool", "Rejected trials"):
        assert f"<h2>{heading}</h2>" in page
    assert "37.5% accepted" in page and ">10<" in page  # kept share, examples
    assert "accepted of 12 tried" in page
    assert "not faithful &lt;script&gt;" in page
    assert "paraphrase of convert_units/e1/t2" in page
    assert len(images(page)) == 2


def test_an_eval_report_shows_scores_with_intervals_and_items(tmp_path):
    results = make_eval(tmp_path / "eval")
    result = report(results)
    assert result.exit_code == 0, result.output
    assert "eval report ->" in result.output
    page = (results / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    for heading in ("Summary", "Scores", "Per tool", "Example items"):
        assert f"<h2>{heading}</h2>" in page
    summary = json.loads((results / "summary.json").read_text())
    correct = summary["overall"]["correct"]
    assert f"{correct['rate']:.1f}%" in page
    assert f"{correct['successes']} of {correct['n']}" in page
    assert f"[{correct['ci_low']:.0f}–{correct['ci_high']:.0f}]" in page
    for outcome in ("correct", "wrong arguments", "no call"):
        assert f'badge {"ok" if outcome == "correct" else "bad"}">{outcome}<' in page
    assert len(images(page)) == 2


def test_an_eval_still_running_is_reported_from_its_items(tmp_path):
    results = make_eval(tmp_path / "eval")
    (results / "summary.json").unlink()
    kind, page = build_report(results)
    assert kind == "eval" and "still running" in page
    correct = summarise_by_tool([EvalRecord.read(i) for i in eval_items(2)])["overall"]["correct"]
    assert correct == proportion_summary(7, 20)
    assert "35.0%" in page and "7 of 20" in page


def test_an_experiment_report_compares_the_conditions(tmp_path):
    experiment = make_experiment(tmp_path / "exp")
    result = report(experiment)
    assert result.exit_code == 0, result.output
    page = (experiment / "report.html").read_text(encoding="utf-8")
    assert_self_contained(page)
    for heading in (
        "Summary",
        "Conditions",
        "Per tool: before and after",
        "Explorations compared",
        "Cost",
        "Learning curve (explore/)",
        "Distillation funnel (dataset/)",
        "Example trials (explore/)",
    ):
        assert f"<h2>{heading}</h2>" in page, heading
    for label in ("baseline", "STE in-context (k demonstrations)", "STE in-context, no ltm"):
        assert f"<td>{label}</td>" in page
    baseline = json.loads((experiment / "baseline" / "summary.json").read_text())
    icl = json.loads((experiment / "icl" / "summary.json").read_text())
    change = icl["overall"]["correct"]["rate"] - baseline["overall"]["correct"]["rate"]
    assert f"{change:+.1f} points" in page
    assert "McNemar" in page and "p = " in page
    assert "40.0 min" in page  # four stages of 10 minutes
    assert len(images(page)) >= 8


def test_an_unfinished_experiment_is_reported_from_its_stages(tmp_path):
    experiment = make_experiment(tmp_path / "exp")
    (experiment / "results.json").unlink()
    write_json(experiment / "experiment.json", {"bench": "bench/dev", "model": "m"})
    kind, page = build_report(experiment)
    assert kind == "experiment"
    assert "<td>baseline</td>" in page and "<td>icl-no-ltm</td>" in page


@pytest.mark.parametrize("make", [None, "missing"])
def test_a_directory_of_no_known_kind_is_a_clear_error(tmp_path, make):
    target = tmp_path / "nothing"
    if make is None:
        target.mkdir()
        (target / "notes.txt").write_text("hello")
    result = report(target)
    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert "Traceback" not in message
    if make is None:
        assert "not a directory ste can report on" in message
        for kind in ("ste explore", "ste distill", "ste eval", "ste experiment"):
            assert kind in message
    else:
        assert "no such directory" in message
    assert not (target / "report.html").exists()


def test_toolbench_predictions_are_not_taken_for_eval_results(tmp_path):
    write_jsonl(tmp_path / "items.jsonl", [{"id": "G1-0", "model_output": "Action: x"}])
    result = report(tmp_path)
    assert result.exit_code == 2 and "not a directory ste can report on" in result.output


def test_kinds_are_detected_from_their_files(tmp_path):
    assert detect(make_exploration(tmp_path / "a")) == "exploration"
    assert detect(make_dataset(tmp_path / "b")) == "dataset"
    assert detect(make_eval(tmp_path / "c")) == "eval"
    assert detect(make_experiment(tmp_path / "d")) == "experiment"
