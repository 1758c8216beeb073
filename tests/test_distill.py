"""Distillation with scripted judges and paraphrasers: checks, judge parsing, dedup,
paraphrase rejection, exports, resume."""

import asyncio
import json
import os

import pytest

from scripted import ScriptedModel
from ste.checks.rules import rule_checks
from ste.distill.dedup import lexical_similarity, near_duplicates
from ste.distill.example import from_trial, split_of
from ste.distill.judge import parse_judgment
from ste.distill.paraphrase import (
    check_paraphrase,
    paraphrases_per_example,
    required_values,
)
from ste.distill.pipeline import DistillSettings, distill, prepare
from ste.explore import ExploreSettings, RunDir, explore
from ste.explore.settings import manifest
from ste.records import Trial
from ste.tools import load_tools
from test_explore import Explorer

GOOD = (
    "Informative: Yes - it answers\nFaithful: Yes - from the result\nAppropriate: Yes - right tool"
)


def step(name, arguments, observation, ok, parse_error=None):
    return {
        "raw": "",
        "thought": "",
        "call": {"name": name, "arguments": arguments} if name else None,
        "observation": observation,
        "tool_ok": ok,
        "error_kind": None,
        "parse_error": parse_error,
        "final_answer": None,
    }


def trial(steps, final="10 km is 6.21 mi", solved=True, query="How many miles is 10 km?", **extra):
    record = {
        "id": extra.pop("id", "convert/e1/t1"),
        "tool": extra.pop("tool", "convert"),
        "episode": 0,
        "trial": 0,
        "seed": 0,
        "query": query,
        "steps": steps,
        "final_answer": final,
        "stop_reason": "final_answer" if final else "max_turns",
        "solved": solved,
        **extra,
    }
    return Trial.read(record)  # as a run directory reads it back


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


@pytest.fixture
def convert(tools):
    return tools[0]


OK_STEP = step("convert", {"value": 10, "unit": "km"}, '{"result": 6.21}', True)
FAILED_STEP = step("convert", {"value": -10, "unit": "km"}, "Error: value must be >= 0", False)


# --- rule checks ---------------------------------------------------------------------------


def verdicts(checks):
    return {c.name: c.ok for c in checks}


def test_a_good_trial_passes_every_rule(convert):
    assert all(verdicts(rule_checks(trial([OK_STEP]), convert, True)).values())


@pytest.mark.parametrize(
    "record, failing",
    [
        (trial([OK_STEP], final=None), "finished"),
        (trial([FAILED_STEP]), "call_succeeded"),
        (trial([step(None, None, "feedback", None, parse_error="no Action")]), "call_succeeded"),
        (trial([step("convert", {"value": "ten", "unit": "km"}, "{}", True)]), "arguments_valid"),
        (trial([OK_STEP], solved=False), "reflection"),
        (trial([OK_STEP], solved=None), "reflection"),
        (trial([OK_STEP], final="10 km is 32 mi"), "faithful"),  # 32: in no result
        (trial([OK_STEP], query='{"value": 10, "unit": "km"}'), "natural_query"),
        (trial([OK_STEP], query="convert"), "natural_query"),
        (
            trial([OK_STEP], query="Let's try the tool with 10 km to see how it works"),
            "natural_query",
        ),
        (trial([OK_STEP], query="How many miles is 10 km? (fulfilled: no)"), "natural_query"),
        (
            trial([OK_STEP], query="Invent a request that uses the tool in a different way."),
            "natural_query",
        ),
        # 25 km: a distance the request never gave
        (
            trial(
                [step("convert", {"value": 25, "unit": "km"}, '{"result": 15.53}', True)],
                final="It is 15.53 mi",
            ),
            "grounded",
        ),
        (trial([OK_STEP], final="10 km is 6.21 mi (EU)"), "names_from_results"),
    ],
)
def test_each_rule_rejects_with_its_reason(convert, record, failing):
    checks = rule_checks(record, convert, require_reflection=True)
    failed = [c for c in checks if not c.ok]
    assert failed and failed[0].name == failing
    assert failed[0].reason


def test_reflection_check_can_be_switched_off(convert):
    checks = rule_checks(trial([OK_STEP], solved=False), convert, require_reflection=False)
    assert all(c.ok for c in checks)


def test_a_recovery_keeps_the_whole_trajectory_and_is_marked(convert):
    record = trial([FAILED_STEP, step(None, None, "fb", None, parse_error="bad"), OK_STEP])
    example = from_trial(record, [convert.openai_spec()], last_call_only=False)
    assert [t.ok for t in example.turns] == [False, True] and example.recovered
    last_only = from_trial(record, [convert.openai_spec()], last_call_only=True)
    assert [t.arguments["value"] for t in last_only.turns] == [10]


def test_a_call_repeated_with_the_same_answer_is_shown_once(convert):
    record = trial([FAILED_STEP, FAILED_STEP, OK_STEP, OK_STEP])
    example = from_trial(record, [convert.openai_spec()], last_call_only=False)
    assert [t.ok for t in example.turns] == [False, True] and example.recovered


# --- the judge's reply -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "reply, expected",
    [
        (GOOD, {"informative": True, "faithful": True, "appropriate": True}),
        (
            "1. **Informative**: No. The answer is empty.\n"
            "2. **Faithful:** yes\n3. Appropriate - Yes",
            {"informative": False, "faithful": True, "appropriate": True},
        ),
        ("Informative: Yes\nFaithful: Yes", None),  # a criterion missing
        ("Informative: maybe\nFaithful: Yes\nAppropriate: Yes", None),
        ("No. Not informative. Faithful. Appropriate.", None),  # never a substring test
    ],
)
def test_judgments_are_parsed_per_criterion(reply, expected):
    parsed = parse_judgment(reply)
    if expected is None:
        assert parsed is None
    else:
        assert {k: v["ok"] for k, v in parsed.items()} == expected


# --- dedup and paraphrase -------------------------------------------------------------------


def test_lexical_dedup_keeps_the_first_of_near_duplicates():
    queries = [
        "How many miles is 10 km?",
        "how many miles is 10 km",
        "Convert 5 miles to kilometres for my run",
        "How many miles is 10 km ?",
    ]
    duplicates = near_duplicates(queries, 0.85, lexical_similarity)
    assert set(duplicates) == {1, 3} and duplicates[1][0] == 0


def test_a_request_of_one_form_with_other_calls_is_no_duplicate():
    queries = [
        "Compare the versions 1.0.0-rc.1 and 1.0.0 of my package.",
        "Compare the versions 1.0.0-rc.1 and 2.0.0 of my package.",
        "Compare the versions 1.0.0-rc.1 and 1.0.0 of my package, please.",
    ]
    keys = ["rc.1 vs 1.0.0", "rc.1 vs 2.0.0", "rc.1 vs 1.0.0"]
    assert set(near_duplicates(queries, 0.7, lexical_similarity)) == {1, 2}
    assert near_duplicates(queries, 0.7, lexical_similarity, keys) == {
        2: (0, pytest.approx(0.9, abs=0.1))
    }


def test_embedding_dedup_catches_paraphrases_but_not_other_values():
    from ste import embeddings
    from ste.distill.dedup import DEFAULT_THRESHOLDS, embedding_similarity

    if not embeddings.available():
        if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
            pytest.fail(f"the embedding model is not installed: {embeddings.INSTALL}")
        pytest.skip("the embedding model is not installed")
    queries = [
        "How many miles is 10 km?",
        "What's 10 kilometres in miles?",
        "How many miles is 12 km?",
        "Find me a chocolate cake recipe",
    ]
    duplicates = near_duplicates(queries, DEFAULT_THRESHOLDS["embedding"], embedding_similarity)
    assert duplicates.keys() == {1} and duplicates[1][0] == 0


def test_paraphrases_must_keep_the_values_the_call_took_from_the_query():
    query = "What is the SHA-256 of 'hello world' in base64, for order A-1042 of 2.5 kg?"
    arguments = [{"text": "hello world", "order": "A-1042", "weight": 2.5, "format": "base64"}]
    values = required_values(query, arguments)
    assert values == ["hello world", "A-1042", "2.5", "base64"]
    ok = "For order A-1042 (2.5 kg), give the base64 SHA-256 of 'hello world'."
    assert check_paraphrase(ok, query, [], values) == (True, "keeps every value")
    dropped = "Hash 'hello world' with SHA-256 as base64 for order A-1042."
    assert check_paraphrase(dropped, query, [], values) == (False, "drops '2.5'")
    assert not check_paraphrase(query.upper(), query, [], values)[0]  # the same request
    assert not check_paraphrase(ok, query, [ok], values)[0]  # repeats an earlier paraphrase
    assert not check_paraphrase("", query, [], values)[0]


def test_integral_float_arguments_match_the_integer_written_in_the_query():
    assert required_values("Convert 10 km", [{"value": 10.0}]) == ["10"]
    assert required_values("Convert ten km", [{"value": 10}]) == []


def test_paraphrase_counts_follow_the_reference_rule():
    assert paraphrases_per_example(10, 150, 6) == 6
    assert paraphrases_per_example(50, 150, 6) == 2
    assert paraphrases_per_example(200, 150, 6) == 0
    assert paraphrases_per_example(0, 150, 6) == 0


def test_splits_keep_paraphrases_with_their_original(convert):
    example = from_trial(trial([OK_STEP]), [], False)
    paraphrase = example.model_copy(update={"id": "x~p1", "paraphrase_of": example.id})
    assert split_of(example, 0.5, 0) == split_of(paraphrase, 0.5, 0)


# --- the whole pipeline ----------------------------------------------------------------------


async def explored_run(tools, tmp_path, reflection="Yes. It worked."):
    run_dir = RunDir(tmp_path / "run")
    settings = ExploreSettings(episodes=2, trials=2)
    run_dir.write_manifest(manifest("explorer", tools[:1], settings))
    await explore(Explorer(reflection=reflection), tools[:1], settings, run_dir)
    return run_dir.path


def paraphraser_replies(count):
    return [f"Could you tell me how many miles {n} km is?" for n in range(1, count + 1)]


def validate_openai_chat_record(record):
    """The rules of OpenAI's fine-tuning chat format with tools."""
    assert set(record) == {"messages", "tools"}
    for tool in record["tools"]:
        assert tool["type"] == "function" and {"name", "parameters"} <= set(tool["function"])
    messages = record["messages"]
    assert messages[0]["role"] == "user" and messages[-1]["role"] == "assistant"
    assert isinstance(messages[-1]["content"], str) and messages[-1]["content"]
    pending: set[str] = set()
    for message in messages:
        assert message["role"] in {"system", "user", "assistant", "tool"}
        if message["role"] == "assistant" and message.get("tool_calls"):
            for call in message["tool_calls"]:
                assert call["type"] == "function" and call["id"]
                assert isinstance(json.loads(call["function"]["arguments"]), dict)
                pending.add(call["id"])
        if message["role"] == "tool":
            assert message["tool_call_id"] in pending and isinstance(message["content"], str)
            pending.discard(message["tool_call_id"])
    assert not pending


async def test_distill_checks_judges_dedups_paraphrases_and_exports(tools, tmp_path):
    run = await explored_run(tools, tmp_path)
    # the last trial asks the first one's request again, with its calls
    path = run / "trials.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    first = records[0]
    records[-1].update(
        query=first["query"] + " Thanks!",
        steps=first["steps"],
        final_answer=first["final_answer"],
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    out = tmp_path / "data"
    settings = DistillSettings(
        dedup="lexical", dedup_threshold=0.7, target_per_tool=8, max_paraphrases=6
    )
    trials, tool_map, _ = prepare(run, out, settings, {"judge": "j", "paraphraser": "p"}, False)
    # the Explorer imagined "How many miles is N km?" for N = 1..3, then 1 again
    judge = ScriptedModel(
        [
            GOOD,
            "Informative: No - wrong\nFaithful: Yes\nAppropriate: Yes",
            "garbled",
            "still garbled",
            GOOD,
        ]
    )
    paraphraser = ScriptedModel(
        [
            "Tell me 1 km in miles.",
            "Tell me 1 km in miles.",
            "Miles in 2 km?",
            "What's 1 km in miles?",
            "1 km equals how many miles?",
            "In miles, how far is 1 km?",
            "Give me 1 km as miles.",
            "Please convert 1 km into miles.",
        ]
    )
    summary = await distill(trials, tool_map, out, settings, judge, paraphraser)
    decisions = json.loads((out / "decisions.json").read_text())
    assert decisions["convert/e1/t2"]["rejected_by"] == "judge"
    assert "not informative" in decisions["convert/e1/t2"]["reason"]
    assert decisions["convert/e2/t1"]["reason"].startswith("unparsable judgment")
    assert decisions["convert/e2/t2"]["rejected_by"] == "near_duplicate"
    assert "convert/e1/t1" in decisions["convert/e2/t2"]["reason"]
    row = summary["tools"]["convert"]
    assert (row["explored"], row["kept"]) == (4, 1)
    assert row["rejected"] == {"judge": 2, "near_duplicate": 1}
    # one kept example -> min(round(8 / 1) - 1, 6) = 6 paraphrases; 2 attempts rejected
    assert (row["paraphrases_accepted"], row["paraphrases_rejected"]) == (6, 2)
    attempts = [json.loads(line) for line in (out / "paraphrases.jsonl").read_text().splitlines()]
    assert [a["reason"] for a in attempts if not a["accepted"]] == [
        "repeats the original or an earlier paraphrase",
        "drops '1'",
    ]
    # each paraphrase is asked to differ from the earlier ones, in one conversation
    assert len(paraphraser.requests[-1]["messages"]) == 15
    assert summary["examples"] == 7

    lines = (out / "openai.jsonl").read_text().splitlines()
    assert len(lines) == summary["examples"] > 0
    for line in lines:
        validate_openai_chat_record(json.loads(line))
    sharegpt = json.loads((out / "sharegpt.json").read_text())
    assert [t["from"] for t in sharegpt[0]["conversations"]] == [
        "human",
        "function_call",
        "observation",
        "gpt",
    ]
    paper = json.loads((out / "paper.json").read_text())
    assert set(paper[0]) == {
        "query",
        "API_name_list",
        "api_descriptions",
        "action",
        "action_input",
        "observation",
        "final_ans",
    }
    from datasets import load_from_disk

    dataset = load_from_disk(str(out / "hf"))
    assert dataset["train"].num_rows == summary["examples"]
    assert json.loads(dataset["train"][0]["tools"])[0]["function"]["name"] == "convert"
    assert (out / "parquet" / "train.parquet").is_file()


async def test_an_interrupted_distillation_resumes_without_asking_again(tools, tmp_path):
    run = await explored_run(tools, tmp_path)
    out = tmp_path / "data"
    settings = DistillSettings(dedup="lexical", dedup_threshold=0.99, target_per_tool=8)
    trials, tool_map, _ = prepare(run, out, settings, {"judge": "j", "paraphraser": "p"}, False)

    class Crash(Exception):
        pass

    def crash(_messages):
        raise Crash

    with pytest.raises(Crash):
        await distill(trials, tool_map, out, settings, ScriptedModel([GOOD, GOOD, crash]), None)
    assert len((out / "judgments.jsonl").read_text().splitlines()) == 2
    judge = ScriptedModel([GOOD, GOOD])
    paraphraser = ScriptedModel(paraphraser_replies(4))
    summary = await distill(trials, tool_map, out, settings, judge, paraphraser)
    assert len(judge.requests) == 2  # only the two trials not judged before the crash
    assert summary["kept"] == 4
    assert summary["tools"]["convert"]["paraphrases_accepted"] == 4  # one each: round(8/4) - 1


def test_other_settings_are_refused_unless_forced(tools, tmp_path):
    run = asyncio.run(explored_run(tools, tmp_path))
    out = tmp_path / "data"
    prepare(run, out, DistillSettings(), {"judge": "j", "paraphraser": "p"}, False)
    from ste.errors import SteError

    with pytest.raises(SteError, match="other tools or settings .max_paraphrases 6 -> 2"):
        prepare(
            run, out, DistillSettings(max_paraphrases=2), {"judge": "j", "paraphraser": "p"}, False
        )
    prepare(run, out, DistillSettings(max_paraphrases=2), {"judge": "j", "paraphraser": "p"}, True)


async def test_a_call_that_gives_another_result_when_run_again_is_rejected(convert):
    from ste.distill.reproduction import reproduced

    real = step("convert", {"value": 10, "unit": "km"}, '{"result": 6.21, "unit": "mi"}', True)
    assert (await reproduced(trial([real]), convert)).ok  # 10 km is 6.21 mi, again
    stale = step("convert", {"value": 10, "unit": "km"}, '{"result": 7.0}', True)
    check = await reproduced(trial([stale]), convert)
    assert not check.ok and "another result" in check.reason


async def test_a_tool_that_reads_the_clock_is_not_held_to_an_old_result(tmp_path):
    from ste.distill.reproduction import reproduced
    from ste.tools import load_tools

    toolbox = tmp_path / "clock.py"
    toolbox.write_text(
        'import time\n\n\ndef now(zone: str) -> dict:\n    """The time now."""\n'
        '    return {"zone": zone, "at": time.time()}\n'
    )
    clock = load_tools(str(toolbox))[0]
    old = step("now", {"zone": "UTC"}, '{"zone": "UTC", "at": 1.0}', True)
    check = await reproduced(trial([old], tool="now"), clock)
    assert check.ok, check.reason  # it answers differently a second later: it is live


def test_numbers_converted_from_the_request_are_grounded(convert):
    from ste.checks.arguments import grounded

    years = step("convert", {"value": 120, "unit": "km"}, '{"result": 74.56}', True)
    assert grounded(trial([years], query="How far is 10 km a month for a year?"), convert).ok
    chained = [OK_STEP, step("convert", {"value": 6.21, "unit": "mi"}, '{"result": 10}', True)]
    assert grounded(trial(chained), convert).ok  # 6.21 came from the first result


def test_an_enum_choice_the_request_names_must_be_the_one_passed():
    from ste.checks.arguments import enums_as_asked
    from ste.tools.tool import Tool

    days = Tool(
        "count_days",
        "Count days.",
        {
            "type": "object",
            "properties": {
                "day_type": {
                    "type": "string",
                    "default": "calendar",
                    "description": "Which days count: 'calendar' or 'business'.",
                }
            },
        },
        lambda **_: {},
    )
    calendar = step("count_days", {}, '{"days": 113}', True)
    asked = trial([calendar], query="How many business days until May?", tool="count_days")
    check = enums_as_asked(asked, days)
    assert not check.ok and "'business'" in check.reason
    assert check.fix == {"day_type": "business"}  # the default it left, replaced
    business = step("count_days", {"day_type": "business"}, '{"days": 80}', True)
    assert enums_as_asked(trial([business], query="Business days until May?"), days).ok


def test_a_free_text_argument_must_share_a_word_with_the_request():
    from ste.checks.arguments import grounded
    from ste.tools.tool import Tool

    food = Tool(
        "nutrition",
        "Nutrition of a food.",
        {"type": "object", "properties": {"food": {"type": "string"}}},
        lambda **_: {},
    )
    substituted = step("nutrition", {"food": "chicken breast, roasted"}, '{"kcal": 165}', True)
    check = grounded(trial([substituted], query="Calories in a steak?", tool="nutrition"), food)
    assert not check.ok and "chicken breast" in check.reason
    suggested = step("nutrition", {"food": "beef, ground, cooked"}, '{"kcal": 250}', True)
    assert grounded(trial([suggested], query="Calories in beef?", tool="nutrition"), food).ok


@pytest.mark.parametrize(
    ("query", "expression", "ok"),
    [
        ("What is the result of a division?", "10 / 2", False),  # 10: never given
        ("What is 10 divided by 2?", "10 / 2", True),
        ("What is the factorial of 5?", "5 * 4 * 3 * 2 * 1", True),  # single digits
        ("Add 10 to the square root of 16.", "(16**0.5) + 10", True),  # a fraction: a way to write
        ("What is 2 to the power of 32?", "2**32", True),
    ],
)
def test_a_whole_number_written_inside_a_text_value_comes_from_the_request(query, expression, ok):
    from ste.checks.arguments import grounded
    from ste.tools.tool import Tool

    calc = Tool(
        "calculate",
        "Evaluate an expression.",
        {"type": "object", "properties": {"expression": {"type": "string"}}},
        lambda **_: {},
    )
    call = step("calculate", {"expression": expression}, '{"result": 1}', True)
    check = grounded(trial([call], query=query, tool="calculate"), calc)
    assert check.ok is ok, check


def test_the_tools_of_a_no_exec_run_are_never_run_to_check_them(tools, tmp_path, toolboxes):
    from ste.distill.pipeline import runnable_tools

    for execute, expected in ((True, {"convert"}), (False, set())):
        run_dir = RunDir(tmp_path / f"run-{execute}")
        record = manifest("m", tools[:1], ExploreSettings(execute=execute))
        run_dir.write_manifest({**record, "toolbox": str(toolboxes / "sample.py")})
        assert set(runnable_tools(run_dir.path)) == expected


@pytest.mark.parametrize(
    ("answer", "ok"),
    [
        ("There are 14 days between them, inclusive of both days.", False),
        ("There are 14 days between them, not inclusive of the end date.", True),
        ("There are 14 days between them (exclusive of the end; not counting it).", True),
        ("There are 14 days between them.", True),
    ],
)
def test_a_flag_the_result_reports_false_is_not_stated_as_holding(answer, ok):
    from ste.checks.claims import flags_as_results

    counted = step("date_calc", {"start": "2023-01-01"}, '{"days": 14, "inclusive": false}', True)
    asked = trial([counted], query="Days from January 1 to 15, 2023?", tool="date_calc")
    asked.final_answer = answer
    assert flags_as_results(asked).ok is ok


async def test_tools_that_cannot_be_run_again_are_named_in_the_summary(tmp_path, toolboxes):
    tools = {t.name: t for t in load_tools(str(toolboxes / "sample.py"))[:1]}
    result = '{"result": 6.21, "unit": "mi"}'
    good = trial([step("convert", {"value": 10, "unit": "km"}, result, True)])
    chosen = DistillSettings(dedup="lexical", target_per_tool=0, judge=False)
    for folder, runnable, missing in (("none", {}, ["convert"]), ("all", tools, [])):
        out = tmp_path / folder
        out.mkdir()
        summary = await distill([good], tools, out, chosen, None, None, runnable=runnable)
        assert summary["not_run_again"] == missing
        assert json.loads((out / "summary.json").read_text())["not_run_again"] == missing
