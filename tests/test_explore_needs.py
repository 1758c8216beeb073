"""The values an imagined request must give (`ste.explore.needs`)."""

from typing import Any

from ste.explore.needs import count_numbers, lacking, needs_list, required_inputs
from ste.tools.tool import Tool


def _tool(properties: dict[str, Any], required: list[str]) -> Tool:
    parameters = {"type": "object", "properties": properties, "required": required}
    return Tool(name="t", description="", parameters=parameters, function=lambda **_: None)


LOAN = _tool(
    {
        "amount": {"type": "number", "description": "Loan amount."},
        "annual_rate": {"type": "number", "description": "Annual interest rate in percent."},
        "term_months": {"type": "integer", "description": "Length of the loan in months."},
        "down_payment": {"type": "number", "description": "Paid up front.", "default": 0},
    },
    ["amount", "annual_rate", "term_months"],
)
TIME = _tool(
    {
        "date": {"type": "string", "description": "Calendar date, as 'YYYY-MM-DD'."},
        "time": {"type": "string", "description": "Wall-clock time, 24-hour 'HH:MM'."},
        "to_tz": {"type": "string", "description": "IANA time zone name."},
    },
    ["date", "time", "to_tz"],
)


def test_the_prompt_lists_each_required_input_by_its_description():
    assert needs_list(LOAN).splitlines() == [
        "- Loan amount.",
        "- Annual interest rate in percent.",
        "- Length of the loan in months.",
    ]
    bare = _tool({"city_name": {"type": "string"}, "limit": {"type": "integer"}}, ["city_name"])
    assert needs_list(bare) == "- city name"
    assert needs_list(_tool({"q": {"type": "string"}}, [])) == ""
    with_default = _tool({"n": {"type": "integer", "default": 3}}, ["n"])
    assert required_inputs(with_default) == []


def test_numbers_are_counted_in_digits_words_and_relative_years():
    assert count_numbers("a $200,000 loan at 6.5% for 30 years") == 3
    assert count_numbers("a five-year loan of $2,000") == 2
    assert count_numbers("public holidays in France this year") == 1
    assert count_numbers("the interest paid over the loan's term") == 0


def test_a_request_with_fewer_numbers_than_the_tool_needs_lacks_them():
    said = lacking("The monthly payment of a 5-year loan at 5.2% with $2,000 down?", LOAN)
    assert said is None  # three numbers: which is which is the call's to get right
    said = lacking("What is the monthly payment of a 1-year mortgage at 4.9%?", LOAN)
    assert said is not None and said.startswith("it gives 2 numbers, but the task needs 3")
    assert "Loan amount.; Annual interest rate in percent.; Length of the loan in months." in said
    assert lacking("How much interest is paid on the loan over its term?", LOAN).startswith(
        "it gives 0 numbers"
    )


def test_a_required_time_or_date_must_be_in_the_request():
    assert lacking("What is 17:30 in Paris on 2026-12-06 in Tokyo time?", TIME) is None
    assert lacking("When it is 9 am tomorrow in Paris, what time is it in Tokyo?", TIME) is None
    assert lacking("At noon on March 3 in London, what time is it in New York?", TIME) is None
    said = lacking("Find the current time in Europe/Paris.", TIME)
    assert said == "it gives no date, but the task needs one: Calendar date, as 'YYYY-MM-DD'."
    said = lacking("What time is it in Tokyo today when it is morning in Paris?", TIME)
    assert (
        said == "it gives no time of day, but the task needs one: Wall-clock time, 24-hour 'HH:MM'."
    )


def test_a_choice_or_a_plain_text_is_not_tested():
    tool = _tool(
        {
            "metric": {"type": "string", "enum": ["word_count", "char_count"]},
            "text": {"type": "string", "description": "The text to analyse."},
        },
        ["metric", "text"],
    )
    assert lacking("Count the words of my essay.", tool) is None
    formatted = _tool({"when": {"type": "string", "format": "date"}}, ["when"])
    assert (
        lacking("Which weekday is it?", formatted)
        == "it gives no date, but the task needs one: when"
    )
    assert lacking("Which weekday is 4 July 2026?", formatted) is None
