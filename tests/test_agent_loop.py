import pytest

from scripted import ScriptedModel, call
from ste.agent import run_agent
from ste.models.base import ChatResponse
from ste.tools import load_tools


@pytest.fixture
def tools(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))


async def test_react_call_then_final_answer(tools):
    model = ScriptedModel(
        [
            'Thought: convert\nAction: convert\nAction Input: {"value": 10, "unit": "km"}',
            "Thought: I now know the final answer\nFinal Answer: 6.21 miles",
        ]
    )
    trajectory = await run_agent(model, tools, "10 km in miles?")
    assert trajectory.stop_reason == "final_answer"
    assert trajectory.final_answer == "6.21 miles"
    first, second = trajectory.steps
    assert first.call.name == "convert" and first.tool_ok
    assert first.observation == '{"result": 6.21, "unit": "mi"}'
    # the observation came back as a plain user turn, and the system prompt lists the tools
    sent = model.requests[1]["messages"]
    assert sent[-1] == {"role": "user", "content": 'Observation: {"result": 6.21, "unit": "mi"}'}
    assert "API_name: convert" in sent[0]["content"]
    assert "User Query: 10 km in miles?" in sent[1]["content"]
    assert model.requests[0]["stop"] == ["\nObservation:", "Observation:"]
    assert trajectory.usage.calls == 2 and trajectory.usage.prompt_tokens == 20


async def test_malformed_reply_gets_feedback_and_the_model_recovers(tools):
    model = ScriptedModel(
        [
            "Action: convertor\nAction Input: {}",
            'Action: convert\nAction Input: {"value": -3, "unit": "km"}',
            'Action: convert\nAction Input: {"value": 3, "unit": "km"}',
            "Final Answer: 1.86",
        ]
    )
    trajectory = await run_agent(model, tools, "3 km?", max_turns=4)
    parse_error, tool_error, good, final = trajectory.steps
    assert "'convertor' is not a valid tool" in parse_error.parse_error
    assert model.requests[1]["messages"][-1]["content"].startswith("Observation: 'convertor'")
    assert tool_error.tool_ok is False and tool_error.observation.startswith("Error: value must be")
    assert good.tool_ok
    assert trajectory.final_answer == "1.86"


async def test_a_failed_call_made_again_is_answered_with_a_reminder(tools):
    bad = 'Action: convert\nAction Input: {"value": -3, "unit": "km"}'
    model = ScriptedModel([bad, bad, 'Action: convert\nAction Input: {"value": 3, "unit": "km"}'])
    trajectory = await run_agent(model, tools, "3 km?", max_turns=3)
    first, again, good = trajectory.steps
    told = [r["messages"][-1]["content"] for r in model.requests[1:]]
    assert "same call before" not in told[0]  # a first failure is the tool's words alone
    assert told[1].startswith("Observation: Error: value must be")
    assert "You made this same call before and it failed the same way" in told[1]
    # the steps (what examples are made of) keep the tool's own words
    assert again.observation == first.observation and "same call" not in again.observation
    assert good.tool_ok


async def test_max_turns_stops_the_loop(tools):
    model = ScriptedModel(["no format"] * 5)
    trajectory = await run_agent(model, tools, "q", max_turns=3)
    assert trajectory.stop_reason == "max_turns"
    assert len(trajectory.steps) == 3 and trajectory.final_answer is None
    assert len(model.replies) == 2


async def test_stop_at_first_call_does_not_execute(tools):
    model = ScriptedModel(['Action: explode\nAction Input: {"kind": "exit"}'])
    trajectory = await run_agent(model, tools, "q", stop_at_first_call=True)
    assert trajectory.stop_reason == "first_call"
    assert trajectory.first_call.name == "explode"
    assert trajectory.steps[0].observation is None


async def test_no_execution_ablation_records_the_call(tools):
    model = ScriptedModel(
        ['Action: convert\nAction Input: {"value": 1, "unit": "km"}', "Final Answer: ok"]
    )
    trajectory = await run_agent(model, tools, "q", execute_tools=False)
    assert trajectory.steps[0].observation == "The call was recorded."


async def test_native_protocol_round_trip(tools):
    model = ScriptedModel(
        [
            call("convert", {"value": 10, "unit": "km"}, call_id="c1"),
            ChatResponse(text="It is 6.21 miles."),
        ]
    )
    trajectory = await run_agent(model, tools, "10 km in miles?", protocol="native")
    assert trajectory.final_answer == "It is 6.21 miles."
    first = model.requests[0]
    assert [t["function"]["name"] for t in first["tools"]][:2] == ["convert", "tag"]
    assert first["messages"][-1] == {"role": "user", "content": "10 km in miles?"}
    second = model.requests[1]["messages"]
    assert second[-2]["tool_calls"][0]["function"] == {
        "name": "convert",
        "arguments": '{"value": 10, "unit": "km"}',
    }
    assert second[-1] == {
        "role": "tool",
        "tool_call_id": "c1",
        "content": '{"result": 6.21, "unit": "mi"}',
    }


async def test_native_bad_calls_are_answered_per_call(tools):
    model = ScriptedModel(
        [
            ChatResponse(
                tool_calls=[
                    call("nope", {}, "a").tool_calls[0],
                    call("convert", "{not json", "b").tool_calls[0],
                ]
            ),
            ChatResponse(text="sorry"),
        ]
    )
    trajectory = await run_agent(model, tools, "q", protocol="native", require_call=False)
    assert "'nope' is not a valid tool" in trajectory.steps[0].parse_error
    assert "not one JSON object" in trajectory.steps[1].parse_error
    replies = model.requests[1]["messages"][-2:]
    assert [m["tool_call_id"] for m in replies] == ["a", "b"]


async def test_native_empty_reply_is_corrected(tools):
    model = ScriptedModel([ChatResponse(text=""), ChatResponse(text="done")])
    trajectory = await run_agent(model, tools, "q", protocol="native", require_call=False)
    assert trajectory.steps[0].parse_error and trajectory.final_answer == "done"


async def test_a_final_answer_before_any_call_is_sent_back(tools):
    model = ScriptedModel(
        [
            "Thought: I know this\nFinal Answer: 6 miles",
            'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
            "Final Answer: 6.21 miles",
        ]
    )
    trajectory = await run_agent(model, tools, "10 km in miles?")
    assert "without calling a tool" in trajectory.steps[0].parse_error
    assert model.requests[1]["messages"][-1]["content"].startswith(
        "Observation: You gave a Final Answer without calling a tool."
    )
    assert trajectory.final_answer == "6.21 miles"

    direct = await run_agent(
        ScriptedModel(["Final Answer: hi"]), tools, "hello", require_call=False
    )
    assert direct.final_answer == "hi" and direct.stop_reason == "final_answer"


async def test_each_step_is_handed_over_as_soon_as_it_is_done(tools):
    seen: list[tuple[str, int]] = []
    model = ScriptedModel(
        [
            'Thought: convert\nAction: convert\nAction Input: {"value": 10, "unit": "km"}',
            lambda messages: (
                seen.append(("second request", len(steps)))
                or "Thought: I now know the final answer\nFinal Answer: 6.21 miles"
            ),
        ]
    )
    steps = []
    trajectory = await run_agent(model, tools, "10 km in miles?", on_step=steps.append)
    assert steps == trajectory.steps and len(steps) == 2
    # the first turn (its call and observation) was out before the model was asked again
    assert seen == [("second request", 1)] and steps[0].observation


GOOD_CALL = 'Action: convert\nAction Input: {"value": 10, "unit": "km"}'


async def test_at_the_turn_limit_after_a_successful_call_the_answer_is_asked_for(tools):
    model = ScriptedModel(
        [GOOD_CALL, "Thought: I now know the final answer\nFinal Answer: 6.21 miles"]
    )
    trajectory = await run_agent(model, tools, "10 km?", max_turns=1, answer_at_limit=True)
    assert trajectory.stop_reason == "answer_at_limit"
    assert trajectory.final_answer == "6.21 miles"
    call, answer = trajectory.steps
    assert call.tool_ok and answer.final_answer == "6.21 miles"
    asked = model.requests[1]["messages"][-1]
    assert asked["role"] == "user" and "no turns left" in asked["content"]
    assert trajectory.messages[-1]["content"].endswith("Final Answer: 6.21 miles")


async def test_no_answer_is_asked_for_without_a_successful_call_or_when_switched_off(tools):
    bad = 'Action: convert\nAction Input: {"value": -3, "unit": "km"}'
    failed = ScriptedModel([bad, "Final Answer: never asked"])
    trajectory = await run_agent(failed, tools, "q", max_turns=1, answer_at_limit=True)
    assert trajectory.stop_reason == "max_turns" and len(failed.requests) == 1
    off = ScriptedModel([GOOD_CALL, "Final Answer: never asked"])
    trajectory = await run_agent(off, tools, "q", max_turns=1)
    assert trajectory.final_answer is None and len(off.requests) == 1


async def test_a_call_at_the_turn_limit_is_not_run_and_leaves_no_answer(tools):
    model = ScriptedModel([GOOD_CALL, GOOD_CALL])
    trajectory = await run_agent(model, tools, "q", max_turns=1, answer_at_limit=True)
    assert trajectory.stop_reason == "max_turns" and trajectory.final_answer is None
    assert [s.tool_ok for s in trajectory.steps] == [True, None]
    assert trajectory.steps[-1].parse_error
    assert trajectory.messages[-1]["content"].endswith("no turns were left for tool calls.")


async def test_native_answer_at_the_limit_answers_a_call_so_the_conversation_goes_on(tools):
    model = ScriptedModel(
        [
            call("convert", {"value": 10, "unit": "km"}, call_id="c1"),
            call("convert", {"value": 10, "unit": "km"}, call_id="c2"),
        ]
    )
    trajectory = await run_agent(
        model, tools, "q", protocol="native", max_turns=1, answer_at_limit=True
    )
    assert trajectory.final_answer is None
    assert trajectory.messages[-1]["role"] == "tool"
    assert trajectory.messages[-1]["tool_call_id"] == "c2"


async def test_an_announced_answer_before_any_call_is_told_to_call_the_tool(tools):
    # a dev exploration lost a whole episode to "Thought: I now know the final answer."
    # answered with "write the final answer now", four turns in each of three trials
    model = ScriptedModel(
        [
            "Thought: I now know the final answer.",
            'Action: convert\nAction Input: {"value": 10, "unit": "km"}',
            "Thought: I now know the final answer.",
            "Final Answer: 6.21 miles",
        ]
    )
    trajectory = await run_agent(model, tools, "10 km in miles?")
    assert "without calling a tool" in trajectory.steps[0].parse_error
    # after a call, the same reply is asked for its answer
    assert "did not give it" in trajectory.steps[2].parse_error
    assert trajectory.final_answer == "6.21 miles"


async def test_a_refusal_listing_codes_is_told_which_abbreviate_the_refused_word(toolboxes):
    tools = load_tools(str(toolboxes / "temperatures.py"))
    kelvin = 'Action: convert_temperature\nAction Input: {"value": 1, "from_unit": "kelvin", '
    model = ScriptedModel(
        [kelvin + '"to_unit": "degC"}', kelvin.replace('"kelvin"', '"K"') + '"to_unit": "degC"}']
    )
    trajectory = await run_agent(model, tools, "1 kelvin in Celsius?", max_turns=2)
    refused, good = trajectory.steps
    told = model.requests[1]["messages"][-1]["content"]
    assert told.endswith(
        "accepted: degC, degF, K (Of the values listed, these abbreviate 'kelvin': K.)"
    )
    assert "abbreviate" not in refused.observation  # the step keeps the tool's own words
    assert good.tool_ok


@pytest.mark.parametrize(
    ("arguments", "refusal", "codes"),
    [
        ({"unit": "liter"}, "Unknown unit 'liter'. Accepted: mm, m, km, ml, l, gal", "l"),
        ({"unit": "kilometer"}, "Unknown unit 'kilometer'. Accepted: m, km, K, kg", "km"),
        ({"metric": "character_count"}, "Unknown metric 'character_count'. Available: "
         "word_count, char_count, char_count_no_spaces", "char_count"),
        ({"unit": "km/h"}, "Unknown unit 'km/h'. Accepted: m, km, mi", None),  # no word
        ({"cuisine": "vegan"}, "Unknown cuisine 'vegan'. Accepted: thai, greek, indian", None),
        ({"unit": "meter"}, "Unknown unit 'meter'. Try again.", None),  # no list
        ({"unit": "meter"}, "Accepted: mm, m, km (and 'meter' is fine)", "m"),
    ],
)  # fmt: skip
def test_the_listed_values_that_abbreviate_a_refused_word(arguments, refusal, codes):
    from ste.agent.hints import abbreviations_hint

    hint = abbreviations_hint(arguments, refusal)
    assert (hint is None) is (codes is None), hint
    if codes:
        assert hint.endswith(f": {codes}.)")


def test_a_refused_value_that_names_another_parameter_is_told_so():
    from ste.agent.hints import parameter_hint

    parameters = {"properties": {"cuisine": {}, "vegetarian": {}, "max_minutes": {}}}
    refusal = "Unknown cuisine 'vegetarian'. Accepted cuisines: thai, greek, indian"
    hint = parameter_hint({"cuisine": "vegetarian"}, refusal, parameters)
    assert hint == (
        "('vegetarian' is no value of cuisine: it is the name of another parameter, "
        "vegetarian. Set vegetarian instead.)"
    )
    assert (
        parameter_hint({"cuisine": "vegan"}, refusal.replace("vegetarian", "vegan"), parameters)
        is None
    )
    assert parameter_hint({"cuisine": "Max minutes"}, "Unknown 'Max minutes'", parameters)
    # a value the refusal does not quote was not what it refused
    assert parameter_hint({"cuisine": "vegetarian"}, "Unknown cuisine.", parameters) is None
    # a flag: the call to make instead, the refused argument out and the flag set
    for flag in (
        {"type": "boolean"},
        {"type": ["boolean", "null"]},
        {"anyOf": [{"type": "boolean"}, {"type": "null"}]},
    ):
        parameters["properties"]["vegetarian"] = flag
        hint = parameter_hint({"cuisine": "vegetarian", "max_minutes": 30}, refusal, parameters)
        assert hint.endswith('(Call it so instead: {"max_minutes": 30, "vegetarian": true})')
    parameters["properties"]["vegetarian"] = {"type": "string"}
    hint = parameter_hint({"cuisine": "vegetarian"}, refusal, parameters)
    assert "Call it so" not in hint


ZONES = (
    "Error: Unknown time zone 'Eastern Time' for from_tz. Use an IANA time zone name, "
    "e.g. 'America/New_York', 'Europe/Paris', or 'UTC'."
)


@pytest.mark.parametrize(
    ("arguments", "refusal", "query", "values"),
    [
        ({"from_tz": "Eastern Time"}, ZONES, "10 AM New York in Tokyo?", "'America/New_York'"),
        ({"from_tz": "Eastern Time"}, ZONES, "9 AM Eastern Time in Tokyo time?", None),
        ({"from_tz": "Eastern Time"}, ZONES, "9 AM in Paris or New York?", "'America/New_York'"),
        ({"from_tz": "Eastern Time"}, ZONES, "Noon in Paris in Tokyo?", "'Europe/Paris'"),
        ({"metric": "word_freq"}, "Unknown metric 'word_freq'. Available metrics: word_count, "
         "char_count, top_words", "The top 3 words of 'a b a'?", "'top_words'"),
        ({"from_tz": "Eastern Time"}, ZONES.replace("'Eastern Time'", "zone"), "New York?", None),
        ({"tz": "America/New_York"}, ZONES.replace("Eastern Time", "America/New_York"),
         "New York time?", None),  # the value it refused is not offered back
    ],
)  # fmt: skip
def test_the_values_a_refusal_gives_that_match_the_request_are_named(
    arguments, refusal, query, values
):
    from ste.agent.hints import request_hint

    hint = request_hint(arguments, refusal, query)
    assert (hint is None) is (values is None), hint
    if values:
        assert (
            hint
            == f"(Of the values the message gives, these match words of the request: {values}.)"
        )


AMBIGUOUS = "'London' is ambiguous: 'London, CA', 'London, GB'. Qualify to_city as 'City, CC'"


@pytest.mark.parametrize(
    ("value", "refusal", "earlier", "offered"),
    [
        ("London GB", "Unknown city 'London GB'. Did you mean?", [AMBIGUOUS], "London, GB"),
        ("london gb", "Unknown city 'london gb'.", [AMBIGUOUS], "London, GB"),  # case aside
        ("London GB", "Unknown city 'London GB'.", [], None),  # given nowhere
        ("Paris", "Unknown city 'Paris'.", ["'paris' is known"], None),  # one word: its case
        ("New-York", "Unknown city 'New-York'; known: 'New York'", [], "New York"),
    ],
)  # fmt: skip
def test_a_value_passed_in_another_form_than_the_tool_gave_is_shown_in_its_own(
    value, refusal, earlier, offered
):
    from ste.agent.hints import exact_form_hint

    hint = exact_form_hint({"to_city": value}, refusal, earlier)
    assert (hint is None) is (offered is None), hint
    if offered:
        assert f"'{offered}'" in hint and f"not '{value}'" in hint


async def test_a_value_given_earlier_in_the_trial_is_shown_in_the_tools_form(tmp_path):
    toolbox = tmp_path / "cities.py"
    toolbox.write_text(
        "def distance(to_city: str) -> dict:\n"
        '    """Distance from Paris.\n\n    Args:\n        to_city: A city.\n    """\n'
        '    if to_city == "London":\n'
        "        raise ValueError(\"'London' is ambiguous: 'London, CA', 'London, GB'\")\n"
        '    if to_city != "London, GB":\n'
        "        raise ValueError(f\"Unknown city {to_city!r}. Did you mean 'London'?\")\n"
        '    return {"km": 344}\n'
    )
    act = 'Action: distance\nAction Input: {"to_city": "%s"}'
    model = ScriptedModel([act % "London", act % "London GB", act % "London, GB"])
    trajectory = await run_agent(model, load_tools(str(toolbox)), "Paris to London?", max_turns=3)
    told = model.requests[2]["messages"][-1]["content"]
    assert "'London, GB' earlier: pass it exactly so" in told
    assert trajectory.steps[2].tool_ok


async def test_a_refusal_giving_a_value_the_request_names_is_told_so(tmp_path):
    toolbox = tmp_path / "zones.py"
    toolbox.write_text(
        "def convert_time(time: str, from_tz: str) -> dict:\n"
        '    """Convert a time to UTC.\n\n    Args:\n        time: HH:MM.\n'
        '        from_tz: An IANA time zone name.\n    """\n'
        '    if "/" not in from_tz:\n'
        "        raise ValueError(f\"Unknown time zone {from_tz!r}; e.g. 'America/New_York'\")\n"
        '    return {"utc": "15:00"}\n'
    )
    tools = load_tools(str(toolbox))
    act = 'Action: convert_time\nAction Input: {"time": "10:00", "from_tz": "%s"}'
    model = ScriptedModel([act % "Eastern", act % "America/New_York"])
    trajectory = await run_agent(model, tools, "10:00 in New York, in UTC?", max_turns=2)
    told = model.requests[1]["messages"][-1]["content"]
    assert told.endswith("these match words of the request: 'America/New_York'.)")
    assert "match words" not in trajectory.steps[0].observation
    assert trajectory.steps[1].tool_ok


async def test_a_reply_without_the_call_asked_for_is_followed_by_one_that_can_only_call(tools):
    # a 1.5B explorer told to call the tool answered again, and echoed the feedback as its
    # answer, until its turns ran out: after one reply without a call, the grammar of the
    # next allows only a call (models that take no grammar, endpoints, ignore it)
    pytest.importorskip("llama_cpp")  # the grammar is llama-cpp-python's
    model = ScriptedModel(
        [
            "Thought: I now know the final answer\nFinal Answer: 6.21 miles",
            'Thought: convert\nAction: convert\nAction Input: {"value": 10, "unit": "km"}',
            "Thought: I now know the final answer\nFinal Answer: 6.21 miles",
        ]
    )
    trajectory = await run_agent(model, tools, "10 km in miles?", max_turns=3)
    assert trajectory.final_answer == "6.21 miles"
    first, forced, after = model.requests
    assert "gbnf" not in first and "gbnf" not in after
    assert forced["gbnf"].startswith('root ::= "Thought: "')
    assert "Final Answer" not in forced["gbnf"].splitlines()[0]
    # without a call required (an eval's first call), nothing is forced
    model = ScriptedModel(["Final Answer: 6.21 miles"])
    trajectory = await run_agent(model, tools, "10 km in miles?", require_call=False)
    assert trajectory.final_answer == "6.21 miles" and "gbnf" not in model.requests[0]
