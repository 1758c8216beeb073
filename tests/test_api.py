"""The Python API: each step a function (or a callable step package) writing its folder."""

import json

from ste.distill.pipeline import DistillSettings
from ste.explore import ExploreSettings
from test_experiment import AllRounder


def test_the_api_runs_explore_distill_evaluate_and_resumes(tmp_path, toolboxes):
    import ste.explore  # importing the package does not hide the step function

    tools = ste.load_tools(str(toolboxes / "sample.py"))[:1]
    model = AllRounder()
    trials = ste.explore(tools, model, tmp_path / "run", ExploreSettings(episodes=1, trials=2))
    assert [t.id for t in trials] == ["convert/e1/t1", "convert/e1/t2"]
    assert all(t.call_succeeded for t in trials)

    summary = ste.distill(
        tmp_path / "run", tmp_path / "data", DistillSettings(max_paraphrases=0), judge=model
    )
    assert summary["kept"] == 2 and summary["examples"] == 2

    tests = tmp_path / "tests.jsonl"
    expected = [{"name": "convert", "arguments": {"value": 3, "unit": "km"}}]
    tests.write_text(json.dumps({"id": "t1", "query": "3 km in miles?", "expected": expected}))
    baseline = ste.evaluate(model, tools, tests, tmp_path / "base")
    with_demos = ste.evaluate(model, tools, tests, tmp_path / "icl", demos=tmp_path / "data")
    # the scripted model gets the unit right only from a demonstration of practice
    assert baseline["overall"]["correct"]["rate"] == 0.0
    assert with_demos["overall"]["correct"]["rate"] == 100.0

    asked = len(model.requests)
    ste.explore(tools, model, tmp_path / "run", ExploreSettings(episodes=1, trials=2))
    ste.evaluate(model, tools, tests, tmp_path / "icl", demos=tmp_path / "data")
    assert len(model.requests) == asked  # both folders were complete: nothing asked again
