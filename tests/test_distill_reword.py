"""Kept requests that name a value as the tool spells it, asked for in the user's words
(`ste.distill.reword`): which values are tool forms, which rewordings are accepted, and the
stage in `ste distill` (replaced query, the practised one kept, resumed without asking)."""

import json

import pytest

from scripted import ScriptedModel
from ste.distill.example import Example, Turn
from ste.distill.pipeline import DistillSettings, distill, prepare
from ste.distill.reword import check_rewording, is_tool_form, tool_forms
from ste.explore import ExploreSettings, RunDir
from ste.explore.settings import manifest
from ste.records import Trial
from ste.tools import load_tools

FRANCE = '{"code": "FRA", "name": "France", "capital": "Paris", "languages": ["French"]}'


def example(query, arguments, observation=FRANCE, ok=True):
    return Example(
        id="country_info/e1/t1",
        tool="country_info",
        query=query,
        turns=[Turn(name="country_info", arguments=arguments, observation=observation, ok=ok)],
        final_answer="French",
        source_trial="country_info/e1/t1",
        tools=[],
    )


@pytest.mark.parametrize(
    ("value", "query", "form"),
    [
        ("FRA", "the country with the code FRA", True),
        ("Europe/Paris", "from 'Europe/Paris' to UTC", True),
        ("top_words", "using the 'top_words' metric", True),
        ("degC", "180 degC in degF", True),
        ("egg, boiled", "calories of egg, boiled", True),
        ("London, GB", "from London, GB to Paris", True),
        ("banana", "calories of a banana", False),
        ("Paris", "the distance from Paris", False),
        ("(1 + 4) / 2", "compute (1 + 4) / 2", False),  # an expression: the user's own
        ("Hello, world", 'count the words of "Hello, world"', False),  # quoted: the user's text
        ("I came. I saw.", "count the sentences of I came. I saw.", False),
        (42, "the answer is 42", False),
    ],
)
def test_a_tool_form_is_an_identifier_or_code_not_words_or_the_users_text(value, query, form):
    assert is_tool_form(value, query) is form


def test_only_forms_of_successful_calls_that_the_request_names_are_reworded():
    named = example(
        "What is the official language of the country with the code FRA?", {"code": "FRA"}
    )
    assert tool_forms(named) == ["FRA"]
    unnamed = example("What is the official language of France?", {"code": "FRA"})
    assert tool_forms(unnamed) == []
    failed = example("Tell me about code XYZ", {"code": "XYZ"}, "Error: unknown", ok=False)
    assert tool_forms(failed) == []


@pytest.mark.parametrize(
    ("text", "accepted", "reason"),
    [
        ("What is the official language of France?", True, "in the user's words: 'FRA'"),
        # "Europe" is in the result, but not under a name: it names no country
        ("What is the official language of the country in Europe?", False, "names nothing"),
        ("What is the official language of the country with the code FRA?", False, "repeats"),
        ("What is the official language of FRA, please?", False, "still names 'FRA'"),
        ('{"code": "France"}', False, "JSON"),
        ("", False, "no request"),
    ],
)
def test_a_rewording_must_name_the_value_in_other_words_and_stay_a_request(text, accepted, reason):
    original = example(
        "What is the official language of the country with the code FRA?", {"code": "FRA"}
    )
    ok, why = check_rewording(text, original, ["FRA"], [], None)
    assert ok is accepted and reason in why, why


def test_a_rewording_keeps_the_other_values_and_may_use_a_part_of_the_form():
    zone = '{"time": "16:30", "abbreviation": "UTC"}'
    original = example(
        "Convert 17:30 from the time zone 'Europe/Paris' to 'UTC'.",
        {"time": "17:30", "from_tz": "Europe/Paris", "to_tz": "UTC"},
        zone,
    )
    forms = tool_forms(original)
    assert forms == ["Europe/Paris", "UTC"]
    assert check_rewording("What is 17:30 Paris time in UTC?", original, forms, ["17:30"], None)[0]
    ok, why = check_rewording(
        "What is 5:30 pm Paris time in UTC?", original, forms, ["17:30"], None
    )
    assert not ok and why == "drops '17:30'"


# --- the stage in ste distill ---------------------------------------------------------------


def country_trial(index, query, code="FRA"):
    observation = json.dumps(
        {
            "FRA": json.loads(FRANCE),
            "JPN": {"code": "JPN", "name": "Japan", "capital": "Tokyo", "languages": ["Japanese"]},
        }[code]
    )
    return Trial.read(
        {
            "id": f"country_info/e1/t{index}",
            "tool": "country_info",
            "episode": 0,
            "trial": index - 1,
            "seed": 0,
            "query": query,
            "steps": [
                {
                    "raw": "",
                    "thought": "",
                    "call": {"name": "country_info", "arguments": {"code": code}},
                    "observation": observation,
                    "tool_ok": True,
                    "error_kind": None,
                    "parse_error": None,
                    "final_answer": None,
                }
            ],
            "final_answer": json.loads(observation)["capital"],
            "stop_reason": "final_answer",
            "solved": True,
        }
    )


def make_country_run(toolboxes, tmp_path):
    """A run of two kept trials of `country_info`: one asked with the code FRA, one with a
    name."""
    tools = load_tools(str(toolboxes / "countries.py"))
    run_dir = RunDir(tmp_path / "run")
    run_dir.write_manifest(manifest("explorer", tools, ExploreSettings(episodes=1, trials=2)))
    run_dir.open()
    run_dir.append_trial(country_trial(1, "What is the capital of the country with the code FRA?"))
    run_dir.append_trial(country_trial(2, "What is the capital of Japan?", "JPN"))
    run_dir.close()
    return run_dir.path


@pytest.fixture
def country_run(toolboxes, tmp_path):
    return make_country_run(toolboxes, tmp_path)


async def test_distill_rewords_a_request_in_the_tools_words_and_keeps_the_practised_one(
    country_run, tmp_path
):
    out = tmp_path / "data"
    settings = DistillSettings(
        judge=False, require_reflection=False, dedup="lexical", target_per_tool=0
    )
    trials, tools, _ = prepare(
        country_run, out, settings, {"judge": None, "paraphraser": "p"}, False
    )
    model = ScriptedModel(
        ["What is the capital of the country with code FRA?", "What is the capital of France?"]
    )
    summary = await distill(trials, tools, out, settings, None, model)
    assert summary["kept"] == 2 and summary["reworded"] == 1
    assert len(model.requests) == 2  # only the request naming FRA; its first try was refused
    examples = {
        json.loads(line)["id"]: json.loads(line)
        for line in (out / "examples.jsonl").read_text().splitlines()
    }
    france = examples["country_info/e1/t1"]
    assert france["query"] == "What is the capital of France?"
    assert france["practised_query"] == "What is the capital of the country with the code FRA?"
    assert france["turns"][0]["arguments"] == {"code": "FRA"}  # the call is the trial's
    assert examples["country_info/e1/t2"]["practised_query"] is None
    attempts = [json.loads(line) for line in (out / "rewordings.jsonl").read_text().splitlines()]
    assert [(a["attempt"], a["accepted"]) for a in attempts] == [(0, False), (1, True)]
    assert attempts[0]["reason"] == "still names 'FRA'"
    openai_first = json.loads((out / "openai.jsonl").read_text().splitlines()[0])
    assert openai_first["messages"][0]["content"] == "What is the capital of France?"

    again = ScriptedModel([])  # resumed: the accepted rewording is read back, nothing asked
    summary = await distill(trials, tools, out, settings, None, again)
    assert summary["reworded"] == 1 and not again.requests


async def test_rewording_can_be_switched_off(country_run, tmp_path):
    out = tmp_path / "data"
    settings = DistillSettings(
        judge=False, require_reflection=False, dedup="lexical", target_per_tool=0, reword=False
    )
    trials, tools, _ = prepare(
        country_run, out, settings, {"judge": None, "paraphraser": "p"}, False
    )
    model = ScriptedModel([])
    summary = await distill(trials, tools, out, settings, None, model)
    assert summary["reworded"] == 0 and not model.requests
    assert not (out / "rewordings.jsonl").exists()


def test_a_date_may_be_kept_in_words():
    from ste.distill.reword import keeps_value

    assert keeps_value("Convert 50 dollars to euros on March 26, 2025.", "2025-03-26")
    assert keeps_value("on the 26th of March 2025", "2025-03-26")
    assert not keeps_value("on March 25, 2025", "2025-03-26")
    assert not keeps_value("on 2025-03-25", "2025-03-26")
