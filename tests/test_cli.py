"""The CLI's contract: clear one-line errors with exit code 2, and real output otherwise."""

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from ste.cli import app

runner = CliRunner()


def ste(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ste.cli", *args], capture_output=True, text=True, timeout=120
    )


def test_help_lists_the_commands():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for command in ("run", "tools", "models"):
        assert command in result.output


@pytest.mark.parametrize(
    ("toolbox", "message"),
    [
        ("syntax_error.py", "syntax_error.py:1: syntax error"),
        ("untyped.py", "parameter 'x' has no type hint"),
        ("empty.py", "defines no public functions"),
    ],
)
def test_bad_toolboxes_give_one_error_line_and_exit_2(toolboxes, toolbox, message):
    result = ste("run", str(toolboxes / toolbox), "hello", "--model", "smollm2-135m")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0]
    assert "Traceback" not in result.stderr + result.stdout


def test_unknown_model_gives_one_error_line_and_exit_2():
    result = ste("run", "hello", "--model", "no-such-model")
    assert result.returncode == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: unknown model 'no-such-model'")


def test_bad_protocol_and_too_many_arguments():
    assert ste("run", "q", "--protocol", "xml").returncode == 2
    result = ste("run", "a.py", "q", "extra")
    assert result.returncode == 2 and "expected [TOOLS] QUERY" in result.stderr


def test_tools_lists_the_bundled_tools_as_openai_specs():
    result = runner.invoke(app, ["tools", "--json"])
    assert result.exit_code == 0
    specs = json.loads(result.output)
    assert len(specs) >= 8
    assert all(s["type"] == "function" and s["function"]["parameters"] for s in specs)


def test_models_lists_the_registry():
    result = runner.invoke(app, ["models"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    for name in ("qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"):
        assert name in result.output


def test_eval_file_reproduces_the_paper_figures():
    from pathlib import Path

    predictions = Path(__file__).parent / "data" / "toolbench50" / "mistral_predictions.json"
    result = runner.invoke(app, ["eval-file", str(predictions), "--format", "ste"])
    assert result.exit_code == 0
    assert "well-formed 61.733  API match 69.33  correct 30.133  (n = 750)" in result.output


@pytest.mark.parametrize(
    ("command", "option"),
    [
        (["run", "q"], ["--temperature", "inf"]),
        (["run", "q"], ["--temperature", "nan"]),
        (["run", "q"], ["--tool-timeout", "-5"]),
        (["run", "q"], ["--tool-timeout", "nan"]),
        (["explore", "--out", "runs/x"], ["--tool-timeout", "0"]),
        (["explore", "--out", "runs/x"], ["--temperature", "-1"]),
        (["explore", "--out", "runs/x", "--only", ","], []),
    ],
)
def test_out_of_range_options_are_refused_with_exit_2(tmp_path, monkeypatch, command, option):
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, [*command, *option], env={"COLUMNS": "200"})
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert not (tmp_path / "runs").exists()  # refused before anything was written
    words = " ".join(result.output.split())
    assert "Invalid value" in words or "--only" in words, words


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["explore", "--out", "x", "--tool-timeout", "nan"], "--tool-timeout"),
        (["explore", "--out", "x", "--temperature", "inf"], "--temperature"),
        (["explore", "--out", "x", "--tool-timeout", "-5"], "--tool-timeout"),
        (["explore", "--out", "x", "--only", ","], "--only: no tool names"),
        (["eval", "tests.jsonl", "--request-timeout", "nan"], "--request-timeout"),
    ],
)
def test_options_out_of_range_or_not_finite_are_one_clear_error(tmp_path, arguments, said):
    result = subprocess.run(
        [sys.executable, "-m", "ste.cli", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert said in result.stderr
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", ["explore", "eval", "experiment", "run", "mcp-serve"])
def test_help_shows_flags_without_a_type_hint(command):
    result = runner.invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "<bool>" not in result.output
    assert "<str>" in result.output or "<path>" in result.output  # values keep theirs


def test_help_paragraphs_are_wrapped_by_the_terminal_not_the_source():
    result = runner.invoke(app, ["experiment", "--help"], env={"COLUMNS": "200"})
    assert "has confidence intervals and each stage's cost." in result.output


def test_check_call_with_full_is_refused_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests.jsonl").write_text("")
    result = runner.invoke(app, ["eval", "tests.jsonl", "--out", "r", "--check-call", "--full"])
    assert result.exit_code == 2, result.output
    assert "--check-call checks the first call before it runs" in result.output
    assert not (tmp_path / "r").exists()


def test_an_unknown_notes_routing_is_refused_with_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tests.jsonl").write_text("")
    result = runner.invoke(
        app, ["eval", "tests.jsonl", "--out", "r", "--notes-for", "some"], env={"COLUMNS": "200"}
    )
    assert result.exit_code == 2, result.output
    assert "--notes-for must be all, routed, chosen, checked, got 'some'" in " ".join(
        result.output.split()
    )
    assert not (tmp_path / "r").exists()


def test_run_shows_the_routed_tools_notes_beside_the_query(toolboxes, tmp_path):
    pytest.importorskip("llama_cpp")
    notes = {
        "kind": "ste-notes",
        "tools": {
            "convert": {"notes": [{"text": "unit is 'km' or 'mi', never 'miles'."}]},
            "tag": {"notes": [{"text": "items are whole numbers."}]},
        },
    }
    (tmp_path / "notes.json").write_text(json.dumps(notes))
    result = ste(
        "run",
        str(toolboxes / "sample.py"),
        "How many miles are 10 kilometres?",
        "--model",
        "smollm2-135m",
        "--notes",
        str(tmp_path),
        "--max-turns",
        "1",
        "--max-tokens",
        "8",
        "--json",
    )
    assert result.returncode == 0, result.stderr
    assert "notes: convert" in result.stderr
    sent = json.loads(result.stdout)["messages"]
    assert "never 'miles'" in sent[1]["content"] and "whole numbers" not in sent[1]["content"]
    assert "never 'miles'" not in sent[0]["content"]  # the system prompt is left as it is


def test_no_option_help_holds_text_rich_would_take_for_markup():
    """Rich read "Per tool [default: 15]." as a markup tag and printed "Per tool ."."""
    import re

    import typer.main

    tag = re.compile(r"(?<!\\)\[[a-z#/@][^\]]*\]")
    group = typer.main.get_command(app)
    helps = [
        (name, param.name, param.help or "")
        for name, command in group.commands.items()  # type: ignore[attr-defined]
        for param in command.params
    ]
    assert helps
    eaten = [(name, option, text) for name, option, text in helps if tag.search(text)]
    assert not eaten, eaten
    result = runner.invoke(app, ["explore", "--help"], env={"COLUMNS": "200"})
    assert "Per tool (default: 15)." in result.output
