import json
from pathlib import Path

import pytest

from ste.errors import SteError
from ste.eval.toolbench import (
    NO_CALL,
    parse_paper_react,
    score_prediction_file,
    string_match,
)

DATA = Path(__file__).parent / "data" / "toolbench50"
MISTRAL = DATA / "mistral_predictions.json"
APIS = ["add_date", "get_today_date", "Numbers%%Get math fact", "search"]


def headline(scores) -> tuple[float, float, float]:
    """Rounded as the paper prints its figures."""
    return round(scores.well_formed, 3), round(scores.api_match, 3), round(scores.correct, 3)


def write_predictions(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "predictions.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def item(model_output: str, action_input: str = "{}", **cached: object) -> dict:
    return {"query": "q", "model_output": model_output, "action_input": action_input, **cached}


# --- the paper's figures ---------------------------------------------------------------------


def test_paper_figures_with_the_papers_cached_verdicts():
    scores = score_prediction_file(MISTRAL, trust_cached=True)
    assert scores.n == 750
    assert headline(scores) == (61.733, 69.33, 30.133)


def test_recomputed_string_match_differs_from_four_cached_verdicts():
    scores = score_prediction_file(MISTRAL)
    assert headline(scores) == (61.733, 69.33, 30.4)  # 228 correct instead of 226

    cached = json.loads(MISTRAL.read_text(encoding="utf-8"))
    disagreements = {
        (score.api, score.index)
        for score in scores.items
        if score.api_match and score.correct != bool(cached[score.api][score.index]["args_correct"])
    }
    assert disagreements == {
        ("Global Email V4%%Global Email V4", 9),  # "format" missing, cached right
        ("NumbersToLetters%%Convertir cantidad a letra Moneda MXN Español", 12),  # Euros/EUROS
        ("siteDomain%%language list", 0),  # gold {}, cached wrong
        ("siteDomain%%language list", 2),
    }


def test_per_api_rates_add_up_to_the_headline():
    scores = score_prediction_file(MISTRAL)
    per_api = scores.per_api()
    assert len(per_api) == 50
    assert all(rates["n"] == 15 for rates in per_api.values())
    mean = sum(rates["well_formed"] for rates in per_api.values()) / 50
    assert mean == pytest.approx(scores.well_formed)


def test_judge_overrides_cached_verdicts_of_judged_apis_only():
    string_matched = set(json.loads((DATA / "string_match_APIs.json").read_text("utf-8")))
    calls: list[tuple[str, dict]] = []

    def always_right(item: dict, args: dict) -> bool:
        calls.append((item["action"], args))
        return True

    baseline = score_prediction_file(MISTRAL, trust_cached=True)
    judged = score_prediction_file(MISTRAL, judge=always_right, trust_cached=True)

    cached_wrong = sum(
        not score.correct
        for score in baseline.items
        if score.api_match and score.api not in string_matched
    )
    assert cached_wrong == 44
    assert judged.correct == pytest.approx(baseline.correct + 100 * cached_wrong / 750)
    assert round(judged.correct, 3) == 36.0
    assert len(calls) == 111  # every API-matched call of the 19 judged APIs, nothing else
    assert all(api not in string_matched and isinstance(args, dict) for api, args in calls)


def test_missing_cached_verdict_without_judge_is_not_correct(tmp_path):
    path = write_predictions(tmp_path, {"search": [item('Action: search\nAction Input: {"a": 1}')]})
    (score,) = score_prediction_file(path, DATA).items
    assert score.api_match and not score.correct
    assert "no cached args_correct" in score.reason

    (score,) = score_prediction_file(path, DATA, judge=lambda item, args: args == {"a": 1}).items
    assert score.correct


# --- the paper's ReAct parsing ---------------------------------------------------------------


def test_clean_call():
    output = 'Action: add_date\nAction Input: {"date": "2022-10-14", "days": 90}'
    assert parse_paper_react(output, APIS) == (
        "add_date",
        {"date": "2022-10-14", "days": 90},
        "ok",
    )


def test_tool_token_wrapper_is_stripped():
    assert parse_paper_react("Action: <tool_add_date>\nAction Input: {}", APIS)[0] == "add_date"


@pytest.mark.parametrize(
    ("written", "snapped"),
    [
        ("add date", "add_date"),
        ("Numbers", "Numbers%%Get math fact"),
        ("today date", "get_today_date"),
    ],
)
def test_unknown_name_is_snapped_to_the_closest_api(written, snapped):
    assert parse_paper_react(f"Action: {written}\nAction Input: {{}}", APIS)[0] == snapped


def test_final_answer_without_call_is_a_no_call(tmp_path):
    assert parse_paper_react("Thought: easy.\nFinal Answer: 2022-10-14", APIS) == (
        None,
        None,
        NO_CALL,
    )
    path = write_predictions(tmp_path, {"add_date": [item("Final Answer: 2022-10-14")]})
    (score,) = score_prediction_file(path, DATA).items
    assert score.no_call and not score.well_formed and not score.api_match


@pytest.mark.parametrize(
    "output",
    [
        'Action: add_date\nAction Input: {"date": 2022-10-14}',  # not JSON
        "Action: add_date\nAction Input: date=2022-10-14",  # no braces
        'Action: add_date\nAction Input: {"days": 3}\nObservation: {"date": "x"}',  # braces after
        'Action: search\nAction Input: {"filter": {"year": 2020}}',  # nested object at the end
        "Action Input: {}",  # no Action
        "I would call add_date.",  # nothing
    ],
)
def test_not_well_formed(output):
    api, args, reason = parse_paper_react(output, APIS)
    assert api is None and args is None
    assert reason not in ("ok", NO_CALL)


def test_multi_line_json_followed_by_text():
    output = (
        "Action: add_date\nAction Input:\n{\n"
        '    "date": "2022-10-14",\n    "days": 90\n}\n'
        "Observation: 2023-01-12\nFinal Answer: 2023-01-12"
    )
    assert parse_paper_react(output, APIS)[:2] == ("add_date", {"date": "2022-10-14", "days": 90})


def test_doubled_braces_are_collapsed():
    output = 'Action: search\nAction Input: {{"entity": "sleep"}}'
    assert parse_paper_react(output, APIS)[:2] == ("search", {"entity": "sleep"})


def test_only_the_call_before_the_first_final_answer_counts():
    output = (
        "Action: get_today_date\nAction Input: {}\nObservation: 2022-10-14\n"
        "Final Answer: today\n"
        'Action: add_date\nAction Input: {"date": "2022-10-14", "days": 1}'
    )
    assert parse_paper_react(output, APIS)[:2] == ("get_today_date", {})


def test_two_calls_before_a_final_answer_are_not_well_formed():
    output = (
        "Action: get_today_date\nAction Input: {}\nObservation: 2022-10-14\n"
        'Action: add_date\nAction Input: {"date": "2022-10-14", "days": 1}\n'
        "Final Answer: tomorrow"
    )
    assert parse_paper_react(output, APIS) == (None, None, "more than one 'Action Input:'")


# --- string-match arguments ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gold", "predicted", "right"),
    [
        ({"date": "2022-10-14"}, {}, False),  # key missing
        ({"date": "2022-10-14", "days": 9}, {"date": "2022-10-14"}, False),
        ({"currency": "EUROS"}, {"currency": "  euros "}, True),  # case and whitespace
        ({"currency": "EUROS"}, {"currency": "EURO"}, False),
        ({"days": 9}, {"days": 9, "unit": "d"}, True),  # extra predicted keys are ignored
        ({}, {"alias": "x"}, True),
        ({"days": 90}, {"days": "90"}, True),  # compared through str()
        ({"days": 90}, {"days": 90.0}, False),  # "90" != "90.0"
        ({"flag": True}, {"flag": "true"}, True),
    ],
)
def test_string_match(gold, predicted, right):
    assert string_match(gold, predicted) is right


def test_string_match_decides_string_match_apis(tmp_path):
    gold = '{"date": "2022-10-14", "days": 90}'
    outputs = [
        'Action: add_date\nAction Input: {"date": "2022-10-14 ", "days": "90"}',
        'Action: add_date\nAction Input: {"date": "2022-10-14"}',
        "Action: get_today_date\nAction Input: {}",
        "Final Answer: soon",
    ]
    # cached verdicts that say the opposite are ignored for string-match APIs
    items = [item(out, gold, args_correct=0 if i == 0 else 1) for i, out in enumerate(outputs)]
    scores = score_prediction_file(write_predictions(tmp_path, {"add_date": items}), DATA)
    assert [s.correct for s in scores.items] == [True, False, False, False]
    assert scores.items[1].reason == "argument 'days' missing"
    assert headline(scores) == (75.0, 66.667, 25.0)


# --- malformed input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "cannot read it as JSON"),
        ("[1, 2]", "expected {API name: [items"),
        ('{"add_date": {"query": "q"}}', "should map to a list of items"),
        ('{"add_date": [{"model_output": "x"}]}', "no string 'action_input'"),
        ('{"add_date": [{"model_output": "x", "action_input": "[]"}]}', "JSON object"),
        ('{"nope": []}', "is not in API_list.json"),
    ],
)
def test_malformed_prediction_file(tmp_path, content, message):
    path = tmp_path / "predictions.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SteError) as error:
        score_prediction_file(path, DATA)
    assert str(path) in str(error.value) and message in str(error.value)
    assert "\n" not in str(error.value)


def test_missing_api_list(tmp_path):
    path = write_predictions(tmp_path, {"add_date": []})
    with pytest.raises(SteError, match="API_list.json: no such file"):
        score_prediction_file(path)
