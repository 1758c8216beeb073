"""The experiment pipeline end to end with a scripted model: every stage, the table, resume."""

import json
import re
from pathlib import Path

import pytest
from rich.progress import Progress

from ste.distill.pipeline import runnable_tools
from ste.eval.testset import load_tests
from ste.experiment.pipeline import Experiment
from ste.experiment.results import results_markdown
from ste.experiment.settings import ExperimentSettings
from ste.models.base import ChatResponse, ToolCall, Usage
from ste.tools import load_tools
from test_explore import Explorer

JUDGMENT = "Informative: Yes - ok\nFaithful: Yes - ok\nAppropriate: Yes - ok"


def demonstrated_unit(messages) -> str | None:
    """The unit of the first call demonstrated in the prompt, if demonstrations reached it."""
    prompt = "\n".join(m["content"] for m in messages)
    if "examples of requests solved" not in prompt.lower():
        return None
    found = re.search(r"Action Input: (\{.*?\})", prompt.split("for reference:", 1)[1])
    return json.loads(found.group(1)).get("unit") if found else None


class AllRounder(Explorer):
    """Explores like the Explorer; also answers test queries, judgments and paraphrases.

    Asked a test query, it gets the unit right only when a demonstration or a tool note
    shows it (the explored calls use "km"); on its own it guesses "mi". So the baseline is
    wrong and the in-context and notes conditions right only if distilled practice reached
    its prompt. Asked for tool notes, it writes one citing the first piece of evidence.
    """

    def stage(self, messages):
        last = messages[-1]["content"]
        if "User Query:" in last and not last.startswith("Now fulfil"):
            return "test"
        if last.startswith("You check examples"):
            return "judge"
        if last.startswith("Paraphrase"):
            return "paraphrase"
        if last.startswith("You are writing the documentation"):
            return "notes"
        return super().stage(messages)

    async def chat(self, messages, **options):
        stage = self.stage(messages)
        if stage == "test":
            self.requests.append({"messages": messages})
            prompt = "\n".join(m["content"] for m in messages)
            noted = "Notes from practice" in prompt and "give the unit km" in prompt
            unit = demonstrated_unit(messages) or ("km" if noted else "mi")
            text = f'Action: convert\nAction Input: {{"value": 3, "unit": "{unit}"}}'
            return ChatResponse(text=text, usage=Usage(10, 5, 1, 10))
        if stage == "notes":
            self.requests.append({"messages": messages})
            text = "- A distance in kilometres must give the unit km [E1]"
            return ChatResponse(text=text, usage=Usage(10, 5, 1, 10))
        if stage in ("judge", "paraphrase"):
            self.requests.append({"messages": messages})
            self.count += 1
            text = JUDGMENT if stage == "judge" else f"Please convert {self.count} km to miles."
            return ChatResponse(text=text, usage=Usage(10, 5, 1, 10))
        return await super().chat(messages, **options)


def make_experiment(tmp_path, toolboxes, model, **overrides):
    tools = load_tools(str(toolboxes / "sample.py"))[:1]
    tests_path = tmp_path / "tests.jsonl"
    tests_path.write_text(
        json.dumps(
            {
                "id": "t1",
                "query": "3 km in miles?",
                "expected": [{"name": "convert", "arguments": {"value": 3, "unit": "km"}}],
            }
        )
        + "\n"
    )
    settings = ExperimentSettings.of(
        model="scripted", episodes=1, trials=2, target_per_tool=4, **overrides
    )
    return Experiment(
        tmp_path / "exp",
        "sample",
        tools,
        load_tests(tests_path),
        tests_path,
        settings,
        model,
        model,
        Progress(disable=True),
        lambda spec: model,
        toolbox=str(toolboxes / "sample.py"),
    )


async def test_an_experiment_runs_every_stage_and_writes_its_table(tmp_path, toolboxes):
    model = AllRounder()
    experiment = make_experiment(tmp_path, toolboxes, model, ablations=["ltm"], notes=True)
    (tmp_path / "exp").mkdir()
    results = await experiment.run()
    assert list(results["conditions"]) == [
        "baseline",
        "STE in-context (k demonstrations)",
        "STE tool notes (the called tool's, the call asked again)",
        "STE in-context + tool notes (the called tool's, the call asked again)",
        "STE in-context, no ltm",
    ]
    assert set(results["stages"]) == {
        "baseline",
        "explore",
        "distill",
        "icl",
        "notes",
        "icl-notes",
        "explore-no-ltm",
        "distill-no-ltm",
        "icl-no-ltm",
    }
    assert results["stages"]["explore"]["calls"] > 0
    table = (tmp_path / "exp" / "results.md").read_text()
    assert "| baseline | 1 | 100.0 [21–100] | 100.0 [21–100] | 0.0 [0–79]" in table, table
    # each condition against the baseline on the same items: 0 right only before, 1 after
    icl = results["conditions"]["STE in-context (k demonstrations)"]["vs_baseline"]
    assert (icl["n"], icl["only_baseline"], icl["only_condition"]) == (1, 0, 1)
    assert "| 0 vs 1, p = 1 |" in table, table
    # per tool: what practice gave (2 trials explored) beside each condition's correct calls
    practice = results["practice"]["convert"]
    assert practice["trials"] == 2 and practice["kept"] >= 1
    assert practice["examples"] >= practice["kept"]
    row = next(line for line in table.splitlines() if line.startswith("| convert |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1] == "2" and cells[3] == str(practice["kept"])
    assert cells[5:] == ["0/1", "1/1", "1/1", "1/1", "1/1"], row
    assert "No kept example" not in table
    correct = {
        name: condition["overall"]["correct"]["rate"]
        for name, condition in results["conditions"].items()
    }
    assert correct == {
        "baseline": 0.0,
        "STE in-context (k demonstrations)": 100.0,
        "STE tool notes (the called tool's, the call asked again)": 100.0,
        "STE in-context + tool notes (the called tool's, the call asked again)": 100.0,
        "STE in-context, no ltm": 100.0,
    }
    notes = json.loads((tmp_path / "exp" / "dataset" / "notes.json").read_text())
    assert [n["text"] for n in notes["tools"]["convert"]["notes"]] == [
        "A distance in kilometres must give the unit km."
    ]
    # the ICL condition saw demonstrations from the distilled dataset
    icl = json.loads((tmp_path / "exp" / "icl" / "items.jsonl").read_text().splitlines()[0])
    assert icl["demonstrations"]
    # the notes conditions: the call asked again with the notes of the tool it called
    for condition in ("notes", "icl-notes"):
        lines = (tmp_path / "exp" / condition / "items.jsonl").read_text().splitlines()
        assert json.loads(lines[0])["notes_of"] == "convert"
    # the ablation explored without long-term memory
    manifest = json.loads((tmp_path / "exp" / "explore-no-ltm" / "manifest.json").read_text())
    assert manifest["settings"]["ltm"] is False
    # an exploration distilled again later loads its tools from the run (to run calls again,
    # to verify notes): the toolbox's spec is recorded, not the benchmark's name
    assert manifest["toolbox"] == str(toolboxes / "sample.py")
    assert list(runnable_tools(tmp_path / "exp" / "explore")) == ["convert"]

    asked = len(model.requests)
    again = make_experiment(tmp_path, toolboxes, model, ablations=["ltm"], notes=True)
    await again.run()
    assert len(model.requests) == asked  # every stage was done: nothing asked again


async def test_check_call_adds_the_in_context_condition_with_its_call_checked(tmp_path, toolboxes):
    model = AllRounder()
    experiment = make_experiment(tmp_path, toolboxes, model, check_call=True)
    (tmp_path / "exp").mkdir()
    results = await experiment.run()
    assert list(results["conditions"]) == [
        "baseline",
        "STE in-context (k demonstrations)",
        "STE in-context (k demonstrations), the call checked against the request",
    ]
    assert results["settings"]["check_call"] is True
    manifest = json.loads((tmp_path / "exp" / "icl-checked" / "manifest.json").read_text())
    assert manifest["check_call"] is True and manifest["demos"]
    assert "check_call" not in json.loads((tmp_path / "exp" / "icl" / "manifest.json").read_text())


class NativeCaller:
    """Asked natively, calls `convert(3, unit)`: "mi" (wrong) unless it learned a unit."""

    def __init__(self, name: str, unit: str = "mi") -> None:
        self.name, self.unit, self.asked = name, unit, 0

    async def chat(self, messages, **options):
        self.asked += 1
        call = ToolCall("convert", {"value": 3, "unit": self.unit})
        return ChatResponse(text="", tool_calls=[call], usage=Usage(10, 5, 1, 10))


def learned_unit(dataset) -> str:
    """What a model trained on `dataset` learns here: the unit of its first example's call."""
    first = json.loads((dataset / "openai.jsonl").read_text().splitlines()[0])
    calls = [c for m in first["messages"] for c in m.get("tool_calls") or []]
    return json.loads(calls[0]["function"]["arguments"])["unit"]


async def test_train_fine_tunes_the_train_base_and_evaluates_it_before_and_after(
    tmp_path, toolboxes, monkeypatch
):
    import ste.train.trainer as trainer

    trained = {}

    def fake_train(dataset, base, out, settings, progress=None):
        trained.update(dataset=dataset, base=base, out=out, settings=settings)
        (out / "merged").mkdir(parents=True)
        (out / "merged" / "learned.json").write_text(json.dumps(learned_unit(dataset)))
        progress(1, 1, {"step": 1, "loss": 0.5})
        summary = dict.fromkeys(("epochs", "examples", "first_loss", "last_loss"), 1)
        return {**summary, "steps": 1, "precision": "fp32"}

    monkeypatch.setattr(trainer, "train", fake_train)
    loaded = []

    def load(spec):
        loaded.append(spec)
        if spec == "small":
            return NativeCaller("small")
        merged = spec.removeprefix("hf:")  # the fine-tuned model: what its training taught it
        return NativeCaller(spec, json.loads((Path(merged) / "learned.json").read_text()))

    explorer = AllRounder()
    experiment = make_experiment(
        tmp_path, toolboxes, explorer, train=True, train_base="small", train_epochs=1.0
    )
    experiment.load_model = load
    (tmp_path / "exp").mkdir()
    results = await experiment.run()
    assert trained["base"] == "small" and trained["dataset"] == tmp_path / "exp" / "dataset"
    assert trained["settings"].epochs == 1.0
    assert loaded == ["small", f"hf:{tmp_path / 'exp' / 'model' / 'merged'}"]
    conditions = results["conditions"]
    before = conditions["baseline, small, native protocol"]["overall"]["correct"]["rate"]
    after = conditions["STE fine-tuned small, native protocol"]["overall"]["correct"]["rate"]
    assert (before, after) == (0.0, 100.0)
    assert results["stages"]["train"]["steps"] == 1
    for folder in ("baseline-native", "finetuned"):
        manifest = json.loads((tmp_path / "exp" / folder / "manifest.json").read_text())
        assert manifest["protocol"] == "native"

    # asked natively and trained itself, the model's own baseline is the before
    (tmp_path / "n").mkdir()
    native = make_experiment(tmp_path / "n", toolboxes, AllRounder(), train=True)
    native.settings.protocol = "native"
    assert not native.native_baseline_needed


def test_each_ablation_turns_off_its_part_of_exploration(tmp_path, toolboxes):
    from ste.experiment.settings import ABLATIONS

    experiment = make_experiment(tmp_path, toolboxes, AllRounder())
    full = experiment.explore_settings()
    assert full.ltm and full.stm and full.reflection and full.execute
    switched = {a: experiment.explore_settings(a) for a in ABLATIONS}
    assert not switched["ltm"].ltm and switched["ltm"].stm
    assert not switched["stm"].stm and switched["stm"].ltm
    assert not switched["reflection"].reflection and switched["reflection"].execute
    assert not switched["exec"].execute and switched["exec"].reflection


def test_an_edited_toolbox_is_refused_by_experiment_as_by_explore(tmp_path, toolboxes):
    from typer.testing import CliRunner

    from ste.cli import app
    from ste.errors import SteError
    from ste.experiment.pipeline import start_experiment
    from ste.explore import ExploreSettings, RunDir
    from ste.explore.settings import manifest

    bench = tmp_path / "bench"
    bench.mkdir()
    source = (toolboxes / "sample.py").read_text()
    (bench / "toolbox.py").write_text(source)
    (bench / "tests.jsonl").write_text(
        json.dumps({"id": "t1", "query": "3 km?", "expected": [{"name": "convert"}]}) + "\n"
    )
    toolbox = str((bench / "toolbox.py").resolve())
    tools = load_tools(toolbox)
    settings = ExperimentSettings(model="scripted")
    out = tmp_path / "exp"
    start_experiment(out, str(bench), toolbox, tools, settings, force=False)
    start_experiment(out, str(bench), toolbox, tools, settings, force=False)  # same: continues
    run = RunDir(tmp_path / "run")
    run.start(manifest("m", tools, ExploreSettings()), force=False)

    description = "Convert a distance between kilometres and miles."
    assert description in source
    (bench / "toolbox.py").write_text(source.replace(description, "Convert km and miles."))
    edited = load_tools(toolbox)
    with pytest.raises(SteError) as by_experiment:
        start_experiment(out, str(bench), toolbox, edited, settings, force=False)
    with pytest.raises(SteError) as by_explore:
        run.start(manifest("m", edited, ExploreSettings()), force=False)
    for refused in (by_experiment, by_explore):
        assert "tool convert changed (description or parameters)" in str(refused.value)
        assert "--force" in str(refused.value)

    # through the CLI: one line and exit 2, before any model is loaded
    result = CliRunner().invoke(
        app, ["experiment", str(bench), "--out", str(out), "--model", "scripted"]
    )
    assert result.exit_code == 2, result.output
    assert "tool convert changed" in " ".join(result.output.split())
    assert "Traceback" not in result.output
    # forced, the experiment continues with the edited tools (its record is rewritten)
    start_experiment(out, str(bench), toolbox, edited, settings, force=True)
    start_experiment(out, str(bench), toolbox, edited, settings, force=False)


def test_quick_sets_the_budget_of_options_left_at_their_defaults():
    import inspect

    from ste.cli.experimenting import _with_quick, experiment

    defaults = {k: p.default for k, p in inspect.signature(experiment).parameters.items()}
    quick = _with_quick({**defaults, "k": 5})  # --quick --k 5
    assert (quick["episodes"], quick["trials"], quick["items_per_tool"]) == (1, 2, 3)
    assert quick["k"] == 5 and not quick["judge_check"] and str(quick["out"]) == "ste-quick"


def test_items_per_tool_takes_the_first_of_each_tool():
    from ste.eval.testset import load_tests
    from ste.experiment.settings import chosen_items
    from ste.tools import BUNDLED_TESTS

    items = load_tests(BUNDLED_TESTS)
    chosen = chosen_items(items, None, 3)
    tools = {item.tool for item in items}
    assert len(chosen) == 3 * len(tools)
    assert all(sum(c.tool == tool for c in chosen) == 3 for tool in tools)
    assert chosen_items(items, 4, 3) == chosen[:4]


def test_a_tool_practice_kept_nothing_for_is_named_in_the_table():
    stats = {"successes": 0, "n": 2, "rate": 0.0, "ci_low": 0.0, "ci_high": 80.0}
    condition = {
        "folder": "icl",
        "overall": {"n": 2, "correct": stats},
        "per_tool": {"convert": {"correct": stats}},
    }
    results = {
        "bench": "b",
        "model": "m",
        "conditions": {"STE in-context": condition},
        "stages": {},
        "practice": {
            "convert": {"trials": 3, "solved": 0, "kept": 0, "examples": 0},
            "tag": {"trials": 3, "solved": 3, "kept": 2, "examples": 4},
        },
    }
    table = results_markdown(results)
    assert "| convert | 3 | 0 | 0 | 0 | 0/2 |" in table, table
    assert "| tag | 3 | 3 | 2 | 4 | – |" in table, table
    assert "**No kept example: convert.**" in table
