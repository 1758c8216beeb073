"""Tool notes: evidence from trials, notes written by a (scripted) model, each verified by
re-executing the calls it cites; notes in tool descriptions for eval, run and serve."""

from __future__ import annotations

import json

import pytest

from conftest import TOOLBOXES
from scripted import ScriptedModel
from ste.distill.evidence import error_notes, fix_notes
from ste.distill.notes import (
    NOTES,
    NOTES_MD,
    PROGRESS,
    gather_evidence,
    load_notes,
    parse_notes,
    with_notes,
    write_notes,
)
from ste.errors import SteError
from ste.icl.serve import add_notes
from ste.records import Trial
from ste.tools import load_tools

TOOL = "convert_temperature"
REFUSED = "Error: ValueError: unknown unit 'celsius'; accepted: degC, degF, K"


def _step(arguments, observation, ok, kind=None):
    return {
        "raw": "",
        "call": {"name": TOOL, "arguments": arguments},
        "observation": observation,
        "tool_ok": ok,
        "error_kind": kind,
    }


def _trial(number: int, steps: list[dict]) -> Trial:
    return Trial.read(
        {
            "id": f"{TOOL}/e1/t{number}",
            "tool": TOOL,
            "episode": 0,
            "trial": number - 1,
            "seed": 0,
            "query": "What is 20 C in F?",
            "steps": steps,
            "final_answer": "68 F",
            "stop_reason": "final_answer",
        }
    )


@pytest.fixture
def tools():
    return {t.name: t for t in load_tools(str(TOOLBOXES / "temperatures.py"))}


@pytest.fixture
def trials():
    fixed = '{"result": 68.0, "unit": "degF"}'
    return [
        _trial(
            1,
            [
                _step(
                    {"value": 20, "from_unit": "celsius", "to_unit": "degF"},
                    REFUSED,
                    False,
                    "tool_error",
                ),
                _step({"value": 20, "from_unit": "degC", "to_unit": "degF"}, fixed, True),
            ],
        ),
        # a result that does not reproduce (the tool gives 212.0 for this call)
        _trial(
            2,
            [_step({"value": 100, "from_unit": "degC", "to_unit": "degF"}, '{"result": 1}', True)],
        ),
        _trial(
            3,
            [
                _step(
                    {"value": 0, "from_unit": "K", "to_unit": "degC"},
                    '{"result": -273.15, "unit": "degC"}',
                    True,
                )
            ],
        ),
    ]


def test_evidence_is_errors_with_their_fix_then_accepted_calls(trials):
    evidence = gather_evidence(trials, TOOL)
    assert [e.id for e in evidence] == ["E1", "E2", "E3"]
    first = evidence[0]
    assert first.failed is not None and first.failed.arguments["from_unit"] == "celsius"
    assert first.fixed.arguments["from_unit"] == "degC" and first.trial == f"{TOOL}/e1/t1"
    assert evidence[1].failed is None and "(worked)" in evidence[1].text()
    assert "error, then fixed" in first.text() and "accepted: degC" in first.text()


def test_notes_are_parsed_with_their_citations():
    reply = (
        "Here are the rules:\n"
        "- Units must be codes: degC, degF or K, not 'celsius' [E1].\n"
        "* Kelvin is written K [E3, e1]\n"
        "1. Results are rounded to 2 decimals\n"
        "- The metric is case-sensitive. The evidence is [E2, E4].\n"
        "not a bullet [E2]"
    )
    assert parse_notes(reply) == [
        ("Units must be codes: degC, degF or K, not 'celsius'.", ["E1"]),
        ("Kelvin is written K.", ["E3", "E1"]),
        ("Results are rounded to 2 decimals.", []),
        ("The metric is case-sensitive.", ["E2", "E4"]),  # the sentence the citation ended
    ]


async def test_only_notes_whose_evidence_reproduces_are_kept(tools, trials, tmp_path):
    writer = ScriptedModel(
        [
            "- Units are codes: degC, degF or K; 'celsius' is refused [E1]\n"
            "- 100 degC is 1 degF [E2]\n"
            "- Absolute zero is 0 K, -273.15 degC [E3]\n"
            "- Always pass precision [E9]\n"
            "- The tool is fast\n"
        ]
    )
    notes = await write_notes(writer, trials, tools, tools, tmp_path)
    kept = notes[TOOL].notes
    assert [n.text for n in kept] == [
        # the error and its fix, in the tool's own words, the refused value masked
        'from_unit="degC" works (another value was refused: "ValueError: unknown unit '
        "'...'; accepted: degC, degF, K\").",
        # the values of a free-text parameter the tool accepted, its calls run again
        'from_unit values the tool accepted in practice, in its own spelling: "degC", "K".',
        'to_unit values the tool accepted in practice, in its own spelling: "degF", "degC".',
        "Units are codes: degC, degF or K; 'celsius' is refused.",
        "Absolute zero is 0 K, -273.15 degC.",
    ]
    assert [n.kind for n in kept] == ["fix", "accepted", "accepted", "rule", "rule"]
    assert kept[1].evidence == ["E1", "E3"]
    assert kept[3].evidence == ["E1"] and kept[3].trials == [f"{TOOL}/e1/t1"]
    reasons = {d["text"]: d["reason"] for d in notes[TOOL].dropped}
    assert "another result" in reasons["100 degC is 1 degF."]
    assert "unknown E9" in reasons["Always pass precision."]
    assert reasons["The tool is fast."] == "cites no evidence"
    prompt = writer.requests[0]["messages"][0]["content"]
    assert "accepted: degC, degF, K" in prompt and "E3 (worked)" in prompt
    saved = json.loads((tmp_path / NOTES).read_text())
    assert saved["kind"] == "ste-notes" and len(saved["tools"][TOOL]["notes"]) == 5
    assert "~~100 degC is 1 degF.~~" in (tmp_path / NOTES_MD).read_text()
    assert load_notes(tmp_path) == {TOOL: [n.text for n in kept]}
    # a rerun asks the model nothing: the tool's notes are read back
    again = await write_notes(ScriptedModel([]), trials, tools, tools, tmp_path)
    assert [n.text for n in again[TOOL].notes] == [n.text for n in kept]
    assert len((tmp_path / PROGRESS).read_text().splitlines()) == 1


UNFIXED = "Error: unknown unit 'kelvins'; accepted: degC, degF, K"


def _unfixed(number: int, unit: str = "kelvins", said: str = UNFIXED) -> Trial:
    arguments = {"value": 1, "from_unit": unit, "to_unit": "degC"}
    return _trial(number, [_step(arguments, said, False, "tool_error")])


def test_errors_no_fix_shows_are_evidence_each_kind_once(trials):
    # refusing 'kelvins' or 'x' is the kind of refusal E1's error and its fix show
    evidence = gather_evidence(
        [*trials, _unfixed(4, said=REFUSED), _unfixed(5, "x", REFUSED.replace("celsius", "x"))],
        TOOL,
    )
    assert [e.fixed is None for e in evidence] == [False, False, False]
    other = "Error: ValueError: value must be a number below 1e9"
    evidence = gather_evidence(
        [*trials, _trial(4, [_step({"value": 2e9}, other, False, "tool_error")])], TOOL
    )
    assert evidence[-1].fixed is None and evidence[-1].failed is not None
    assert evidence[-1].text().startswith("E4 (error): ") and "below 1e9" in evidence[-1].text()
    twice = [_unfixed(1), _unfixed(2, "y", UNFIXED.replace("kelvins", "y"))]
    assert [e.trial for e in gather_evidence(twice, TOOL)] == [f"{TOOL}/e1/t1"]


async def test_an_unfixed_error_becomes_a_note_in_the_tools_words(tools, tmp_path):
    said = "Error: unknown unit 'kelvins'; accepted: degC, degF, K"
    writer = ScriptedModel(["- unknown unit; accepted: degC, degF, K [E1]\n- Pass codes [E1]"])
    notes = await write_notes(writer, [_unfixed(1, said=said)], tools, tools, tmp_path)
    kept = notes[TOOL].notes
    # the refused value is masked where the message quotes it, nowhere else ('K' stays)
    assert kept[0].kind == "error" and "'...'; accepted: degC, degF, K" in kept[0].text
    assert [n.text for n in kept[1:]] == ["Pass codes."]
    assert notes[TOOL].dropped == [
        {
            "text": "unknown unit; accepted: degC, degF, K.",
            "reason": "repeats a note in the tool's words",
        }
    ]


async def test_an_unfixed_error_that_says_another_thing_now_is_dropped(tools, tmp_path):
    said = "Error: the service is down for 'kelvins'"
    notes = await write_notes(ScriptedModel([""]), [_unfixed(1, said=said)], tools, tools, tmp_path)
    assert notes[TOOL].notes == []
    assert "says another thing" in notes[TOOL].dropped[0]["reason"]


async def test_a_rule_citing_all_of_much_evidence_is_dropped(tools, trials, tmp_path):
    many = trials + [
        _trial(
            4 + i,
            [
                _step(
                    {"value": i, "from_unit": "K", "to_unit": "K"},
                    json.dumps({"result": float(i), "unit": "K"}),
                    True,
                )
            ],
        )
        for i in range(2)
    ]
    writer = ScriptedModel(["- Values must be valid [E1, E2, E3, E4, E5]"])
    notes = await write_notes(writer, many, tools, tools, tmp_path)
    assert "none in particular" in notes[TOOL].dropped[0]["reason"]


async def test_a_note_whose_failed_call_now_succeeds_is_dropped(tools, trials, tmp_path):
    lenient = {
        TOOL: tools[TOOL].__class__(
            TOOL, "", tools[TOOL].parameters, lambda **a: {"result": 68.0, "unit": "degF"}
        )
    }
    writer = ScriptedModel(["- Units are codes [E1]"])
    notes = await write_notes(writer, trials[:1], tools, lenient, tmp_path)
    assert notes[TOOL].notes == []
    assert "now succeeds" in notes[TOOL].dropped[0]["reason"]


async def test_a_tool_without_evidence_costs_no_request(tools, tmp_path):
    notes = await write_notes(ScriptedModel([]), [], tools, tools, tmp_path)
    assert notes[TOOL].notes == [] and notes[TOOL].evidence == []


def test_notes_reach_the_descriptions_a_model_reads(tools, tmp_path):
    (tmp_path / NOTES).write_text(
        json.dumps({"kind": "ste-notes", "tools": {TOOL: {"notes": [{"text": "Use degC."}]}}})
    )
    notes = load_notes(tmp_path)
    described = with_notes(list(tools.values()), notes)[0]
    assert described.description.endswith("Notes from practice with this tool:\n- Use degC.")
    assert described.function is tools[TOOL].function
    body = {"messages": [], "tools": [described.openai_spec() | {"function": {"name": TOOL}}]}
    assert "- Use degC." in add_notes(body, notes)["tools"][0]["function"]["description"]
    assert add_notes({"messages": []}, notes) == {"messages": []}


def test_unreadable_notes_are_one_clear_error(tmp_path):
    with pytest.raises(SteError, match="no tool notes here"):
        load_notes(tmp_path)
    (tmp_path / NOTES).write_text("[]")
    with pytest.raises(SteError, match="not tool notes"):
        load_notes(tmp_path)


def test_a_fix_that_left_an_argument_out_says_so():
    refused = _step(
        {"value": 20, "from_unit": "vegetarian"},
        "Error: Unknown unit 'vegetarian'. Accepted: degC, degF, K",
        False,
        "tool_error",
    )
    fixed = _step({"value": 20, "to_unit": "degF"}, '{"result": 68.0}', True)
    evidence = gather_evidence([_trial(4, [refused, fixed])], TOOL)
    assert [text for text, _ in fix_notes(evidence)] == [
        'to_unit="degF" with from_unit left out works (another value was refused: '
        "\"Unknown unit '...'. Accepted: degC, degF, K\")."
    ]


def test_a_call_the_schema_refused_is_no_evidence(trials):
    schema_refused = _step(
        {"value": 20, "from_unit": "degC", "to_unit": "degF", "days": 3},
        "Error: invalid arguments for convert_temperature: Additional properties are not "
        "allowed ('days' was unexpected)",
        False,
        "invalid_arguments",
    )
    fixed = _step({"value": 5, "from_unit": "degC", "to_unit": "degF"}, '{"result": 41.0}', True)
    evidence = gather_evidence([_trial(4, [schema_refused, fixed])], TOOL)
    assert [(e.failed, e.fixed is not None) for e in evidence] == [(None, True)]
    assert fix_notes(evidence) == [] and error_notes(evidence) == []


async def test_a_correction_the_review_led_to_becomes_a_note(tools, tmp_path):
    # the first call converts 25, a value the request never gave; the review's call 20
    wrong = _step({"value": 25, "from_unit": "degC", "to_unit": "degF"}, '{"result": 77.0}', True)
    right = _step(
        {"value": 20, "from_unit": "degC", "to_unit": "degF"},
        '{"result": 68.0, "unit": "degF"}',
        True,
    )
    found = "value=25: not from the request or a result"
    reviewed = _trial(1, [wrong, right]).model_copy(update={"review": [found], "reviewed_at": 1})
    # the same correction in a trial whose corrected attempt fails the checks: no evidence
    unusable = reviewed.model_copy(update={"id": f"{TOOL}/e1/t2", "final_answer": "99 F"})
    notes = await write_notes(
        ScriptedModel(["- nothing"]), [reviewed, unusable], tools, tools, tmp_path
    )
    tool_notes = notes[TOOL]
    review = [e for e in tool_notes.evidence if e.found]
    assert [e.trial for e in review] == [f"{TOOL}/e1/t1"]
    assert "wrong for the request 'What is 20 C in F?'" in review[0].text()
    assert not [n for n in tool_notes.notes if n.kind == "fix"]  # a review is no error's fix
    kept = [n for n in tool_notes.notes if n.kind == "review"]
    assert [n.text for n in kept] == [
        'For a request like "What is 20 C in F?", value=20 is right (a first call was wrong '
        "for it: value=25: not from the request or a result)."
    ]
    assert kept[0].evidence == [review[0].id]


def _accepted(*values):
    from ste.distill.evidence import Call, Evidence

    return [
        Evidence(
            id=f"E{i}",
            trial="t",
            fixed=Call(arguments={"ingredient": v, "max_minutes": 30}, observation="{}", ok=True),
        )
        for i, v in enumerate(values, 1)
    ]


@pytest.mark.parametrize(
    ("rule", "values", "contradicted"),
    [
        ("The accepted ingredient is garlic.", ("garlic", "basil"), True),
        ("ingredient must be 'garlic'.", ("garlic", "basil"), True),
        ("The accepted ingredient is garlic.", ("garlic",), False),  # nothing says otherwise
        ("The accepted ingredients are garlic and basil.", ("garlic", "basil"), False),
        ("ingredient is a single food, e.g. garlic.", ("garlic", "basil"), False),  # an example
        ("The accepted max_minutes is 30.", ("garlic", "basil"), False),  # one value seen
    ],
)
def test_a_rule_giving_one_value_as_the_only_one_is_checked_against_practice(
    rule, values, contradicted
):
    from ste.distill.notes import contradiction

    reason = contradiction(rule, _accepted(*values))
    assert (reason is not None) is contradicted
    if contradicted:
        assert "basil" in reason


@pytest.mark.parametrize(
    ("rule", "values", "contradicted"),
    [
        ("`ingredient` must not contain any special characters or spaces.",
         ("garlic", "olive oil"), "'olive oil' (a space)"),
        ("ingredient must not contain special characters.", ("garlic", "rice, brown"),
         "'rice, brown' (a special character)"),
        ("Ingredient names must be lowercase.", ("garlic", "Basil"),
         "'Basil' (an upper-case letter)"),
        ("`ingredient` must not contain spaces.", ("garlic", "basil"), None),  # as practised
        ("Ingredient names must be lowercase.", ("garlic", "basil"), None),
        ("The cuisine must be in uppercase.", ("garlic", "basil"), "(a lower-case letter)"),
    ],
)  # fmt: skip
def test_a_rule_about_how_values_are_written_is_checked_against_practice(
    rule, values, contradicted
):
    from ste.distill.notes import contradiction

    reason = contradiction(rule, _accepted(*values))
    if contradicted is None:
        assert reason is None
    else:
        assert reason is not None and contradicted in reason, reason


async def test_a_rule_about_refusals_must_cite_a_refused_call(tools, trials, tmp_path):
    """ "If the country code is not valid, the tool returns an error" written from three
    accepted calls (a dev exploration's notes): nothing practice saw says so."""
    writer = ScriptedModel(
        ["- An invalid unit returns an error [E3]\n- 'celsius' is refused; use degC [E1]"]
    )
    notes = await write_notes(writer, trials, tools, tools, tmp_path)
    reasons = {d["text"]: d["reason"] for d in notes[TOOL].dropped}
    assert reasons["An invalid unit returns an error."] == (
        "tells what the tool refuses, but cites only calls it accepted"
    )
    assert "'celsius' is refused; use degC." in [n.text for n in notes[TOOL].notes]


@pytest.mark.parametrize(
    ("rule", "restated"),
    [
        ("The value parameter must be a number.", True),
        ("The from_unit and to_unit parameters must be strings.", True),
        ("Units are codes: degC, degF or K; 'celsius' is refused.", False),
        ("Pass the temperature in Kelvin as K, never as kelvins.", False),
    ],
)
def test_a_rule_that_only_restates_the_description_is_dropped(tools, rule, restated):
    from ste.distill.notes import restates

    reason = restates(rule, tools[TOOL])
    assert bool(reason) is restated
    if restated:
        assert reason == "says what the tool's description already says"


def test_a_note_about_a_parameter_the_tool_does_not_take_is_dropped():
    from ste.distill.note_schema import unknown_parameter
    from ste.tools.tool import Tool

    schema = {"type": "object", "properties": {"country": {}, "year": {}, "month": {}}}
    holidays = Tool("public_holidays", "List holidays.", schema, print)
    said = "The `count` parameter is optional and specifies the number of holidays to return."
    assert unknown_parameter(said, holidays) == "names a parameter 'count' the tool does not take"
    assert unknown_parameter("The `month` parameter narrows the list.", holidays) is None
    assert unknown_parameter("An optional parameter narrows the list.", holidays) is None
    assert unknown_parameter("Pass the parameter 'year' as a number.", holidays) is None
    assert unknown_parameter("The week_day input is ignored.", holidays) is not None


def test_accepted_values_show_a_free_text_parameters_form_not_content_or_choices():
    from ste.distill.evidence import Call, Evidence, accepted_notes
    from ste.tools.tool import Tool

    schema = {
        "type": "object",
        "properties": {
            "food": {"type": "string", "description": "A food of the table."},
            "text": {"type": "string", "description": "The text to analyse."},
            "unit": {"type": "string", "enum": ["g", "oz"]},
            "grams": {"type": "number"},
        },
    }
    tool = Tool("nutrition", "Nutrition facts.", schema, lambda **_: {})

    def worked(number: int, ok: bool = True, **arguments) -> Evidence:
        call = Call(arguments=arguments, observation="{}" if ok else "Error: unknown", ok=ok)
        return Evidence(id=f"E{number}", trial=f"nutrition/e1/t{number}", fixed=call)

    evidence = [
        worked(1, food="rice, white, cooked", text="Hello there", unit="g", grams=100),
        worked(2, food="banana, raw", grams=50),
        worked(3, food="brown rice", ok=False),
        worked(4, food="x" * 60),
    ]
    ((text, cited),) = accepted_notes(evidence, tool)
    assert text == (
        "food values the tool accepted in practice, in its own spelling: "
        '"rice, white, cooked", "banana, raw".'
    )
    assert [e.id for e in cited] == ["E1", "E2"]
