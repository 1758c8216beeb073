import pytest

from ste.agent.parsed import Action, FinalAnswer, ParseError
from ste.agent.react import parse_react

TOOLS = ["convert_units", "date_calc", "get_time"]


def parse(text: str):
    return parse_react(text, TOOLS)


@pytest.mark.parametrize(
    "text",
    [
        'Thought: convert it\nAction: convert_units\nAction Input: {"value": 10, "from_unit": "km"}',
        'Action: convert_units\nAction Input: {"value": 10, "from_unit": "km"}',
        'Thought: x\nAction: `convert_units`\nAction Input: ```json\n{"value": 10, "from_unit": "km"}\n```',
        'Thought: x\nAction: convert_units()\nAction Input: {"value": 10, "from_unit": "km"}\n',
        'thought: x\naction: convert_units\naction input: {"value": 10, "from_unit": "km"}',
        '**Thought:** x\n**Action:** convert_units\n**Action Input:** {"value": 10, "from_unit": "km"}',
        'Thought 1: x\nAction 1: convert_units\nAction Input 1: {"value": 10, "from_unit": "km"}',
        'Thought: x\nAction: convert_units\nAction Input:\n{\n  "value": 10,\n  "from_unit": "km"\n}\n',
        'Thought: x\nAction: convert_units\nAction Input: {"value": 10, "from_unit": "km"}\n'
        "Observation: 6.2 miles\nThought: I now know the final answer\nFinal Answer: 6.2",
        'Thought: x\nAction: "convert_units"\nAction Input: {"value": 10, "from_unit": "km"} ',
        'Action: [convert_units]\nAction Input: {"value": 10, "from_unit": "km"}',
        # the one tool named among a few words: the model's intent is not in doubt
        'Thought: x\nAction: Call convert_units\nAction Input: {"value": 10, "from_unit": "km"}',
        'Action: use the `convert_units` tool\nAction Input: {"value": 10, "from_unit": "km"}',
        'Action: functions.convert_units\nAction Input: {"value": 10, "from_unit": "km"}',
        # the call's JSON on the Action line, no Action Input label
        'Action: Call the `convert_units` tool with the input JSON: {"value": 10, "from_unit": "km"}',
        'Action: convert_units {"value": 10, "from_unit": "km"}',
        # ... or in a code block right under the Action line
        "Thought: x\nAction: Call the `convert_units` tool with the arguments:\n```json\n"
        '{\n  "value": 10,\n  "from_unit": "km"\n}\n```',
        # a longer order to call it
        'Action: Call the convert_units tool with the input "10 km".\n'
        'Action Input: {"value": 10, "from_unit": "km"}',
        # every label on one line, and a premature final answer after the call
        'Thought: x. Action: convert_units Action Input: {"value": 10, "from_unit": "km"}',
        'Thought: x Action: convert_units Action Input: {"value": 10, "from_unit": "km"} '
        "Thought: I now know the final answer\nFinal Answer: 6.2",
    ],
)
def test_well_formed_actions(text):
    parsed = parse(text)
    assert isinstance(parsed, Action), parsed
    assert parsed.name == "convert_units"
    assert parsed.arguments == {"value": 10, "from_unit": "km"}


def test_thought_is_kept():
    parsed = parse("Thought: I should convert.\nAction: convert_units\nAction Input: {}")
    assert parsed.thought == "I should convert."
    unlabelled = parse("I will convert it.\nAction: convert_units\nAction Input: {}")
    assert unlabelled.thought == "I will convert it."


def test_empty_arguments_are_fine():
    assert parse("Action: get_time\nAction Input: {}").arguments == {}


def test_inline_final_answer():
    parsed = parse("Thought: I now know the final answer. Final Answer: 6.2 miles")
    assert isinstance(parsed, FinalAnswer)
    assert parsed.answer == "6.2 miles"
    assert parsed.thought == "I now know the final answer."


def test_an_announced_but_missing_final_answer_is_asked_for():
    parsed = parse("Thought: The result is 11:00.\nThought: I now know the final answer.")
    assert isinstance(parsed, ParseError)
    assert "did not give it" in parsed.message and "Final Answer:" in parsed.message
    plain = parse("Thought: I should think more.")
    assert isinstance(plain, ParseError) and "neither an Action nor a Final Answer" in plain.message


def test_final_answer():
    parsed = parse("Thought: I now know the final answer\nFinal Answer: It is 6.2 miles.\nBye")
    assert isinstance(parsed, FinalAnswer)
    assert parsed.answer == "It is 6.2 miles.\nBye"
    assert parsed.thought == "I now know the final answer"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "neither an Action nor a Final Answer"),
        ("The answer is 6.2 miles.", "neither an Action nor a Final Answer"),
        ('{"value": 10}', "neither an Action nor a Final Answer"),
        ("Thought: I need the converter.", "neither an Action nor a Final Answer"),
        ("Action: convert_units", "no 'Action Input:' line"),
        ("Thought: x\nAction: convert_units\nThought: hmm", "no 'Action Input:' line"),
        ('Action Input: {"value": 1}', "no 'Action:' line"),
        ("Action: convert_units\nAction: date_calc\nAction Input: {}", "more than one Action"),
        (
            'Final Answer: 3\nAction: convert_units\nAction Input: {"value": 1}',
            "both an Action and a Final Answer",
        ),
        (
            'Action: convert\nAction Input: {"value": 1}',
            "'convert' is not a valid tool. Did you mean convert_units?",
        ),
        (
            'Action: weather\nAction Input: {"city": "Paris"}',
            "The Action must be exactly one of: convert_units, date_calc, get_time",
        ),
        ("Action: \nAction Input: {}", "'(empty)' is not a valid tool"),
        # two tools named, or a sentence that mentions one: no guess
        ("Action: convert_units or date_calc\nAction Input: {}", "is not a valid tool"),
        (
            "Action: I think I should first call convert_units\nAction Input: {}",
            "is not a valid tool",
        ),
        ("Action: call convert_units_v2\nAction Input: {}", "is not a valid tool"),
        ("Action: convert_units\nAction Input: value=10, unit=km", "must be one JSON object"),
        ("Action: convert_units\nAction Input: {'value': 10}", "not valid JSON"),
        ("Action: convert_units\nAction Input: {'value': 10}", "double quotes"),
        (
            'Action: convert_units\nAction Input: {"value": 20*12+10, "unit": "km"}',
            "(20*12+10 is arithmetic; JSON holds only numbers: work it out and write the number)",
        ),
        ('Action: convert_units\nAction Input: {"value": 10,', "not valid JSON"),
        ("Action: convert_units\nAction Input: [1, 2]", "must be one JSON object"),
        ("Action: convert_units\nAction Input:", "must be one JSON object"),
        ('Action Input: {"value": 1}\nAction: convert_units', "no 'Action:' line"),
        ("Action Input: value=1\nAction: convert_units", "Write 'Action:' first"),
        ("Final Answer:", "Final Answer is empty"),
        ("Final Answer: <the answer to the user's query, from the tool results>", "is empty"),
        ('Action: convert_units\nAction Input: {"value": __import__("os")}', "not valid JSON"),
    ],
)
def test_malformed_replies_get_corrective_feedback(text, expected):
    parsed = parse(text)
    assert isinstance(parsed, ParseError), parsed
    assert expected in parsed.message


def test_feedback_for_missing_parts_shows_the_format():
    parsed = parse("just some text")
    assert "Action Input: <one JSON object>" in parsed.message
    assert "Final Answer: <your answer>" in parsed.message
