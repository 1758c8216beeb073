"""Rule checks on a trial's arguments, and the doubts the judge settles: unit tests with
scripted judges (the labelled sample, `test_filter_labels.py`, measures them on real trials)."""

import json

import pytest

from scripted import ScriptedModel
from ste.checks.arguments import (
    choices,
    enums_as_asked,
    every_choice_asked,
    grounded,
)
from ste.checks.entities import entity_from_request
from ste.checks.parts import every_value_passed, format_template
from ste.checks.requests import natural_query
from ste.checks.rules import rule_checks
from ste.checks.scales import (
    bound,
    bounds_as_asked,
    scaled_as_described,
    takes,
    unit_of,
    units_as_asked,
)
from ste.checks.swaps import kept_to_the_request
from ste.distill.pipeline import DistillSettings, distill
from ste.tools import load_tools
from ste.tools.tool import Tool, described_tool
from test_distill import GOOD, step, trial

DISTANCE = Tool(
    "distance",
    "Distance between two cities.",
    {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name, e.g. 'Paris'."},
            "unit": {
                "type": "string",
                "default": "km",
                "description": "Unit: 'km' (default), 'mi' (statute miles) or 'nmi' "
                "(nautical miles).",
            },
        },
    },
    lambda **_: {},
)
FOOD = Tool(
    "nutrition",
    "Nutrition of a food.",
    {"type": "object", "properties": {"food": {"type": "string"}, "grams": {"type": "number"}}},
    lambda **_: {},
)

LOAN_TERM = Tool(
    "loan",
    "Monthly payment of a loan.",
    {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "annual_rate": {"type": "number"},
            "term_months": {"type": "integer", "description": "Loan term in months."},
        },
    },
    lambda **_: {},
)
LOAN = Tool(
    "loan",
    "Monthly payment of a loan.",
    {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "annual_rate": {
                "type": "number",
                "description": "Nominal annual interest rate in percent, e.g. 6.5 for 6.5 %.",
            },
            "tax": {"type": "number", "description": "Tax as a fraction, 0.2 for 20 %."},
            "down_payment": {"type": "number", "default": 0},
        },
    },
    lambda **_: {},
)


def test_the_scale_a_description_states():
    properties = LOAN.parameters["properties"]
    assert takes(properties["annual_rate"]) == "percent"
    assert takes(properties["tax"]) == "fraction"
    assert takes(properties["amount"]) is None
    assert takes({"description": "Share of the price, between 0 and 1."}) == "fraction"


def test_a_percentage_passed_on_the_other_scale_is_not_kept():
    def loan(arguments: dict, query: str):
        call = step("loan", arguments, '{"monthly_payment": 559.32}', True)
        return scaled_as_described(trial([call], query=query, tool="loan"), LOAN)

    query = "Monthly payment on $200,000 at 4.5% over 30 years, with 0 down?"
    wrong = loan({"amount": 200000, "annual_rate": 0.045, "down_payment": 0}, query)
    assert not wrong.ok and "annual_rate=0.045" in wrong.reason and "percent" in wrong.reason
    assert wrong.fix == {"annual_rate": 4.5}  # the value that passes, offered with the call
    assert loan({"amount": 200000, "annual_rate": 4.5, "down_payment": 0}, query).ok
    taxed = "Monthly payment on $200,000 at 4.5 percent with 20% tax?"
    as_percent = loan({"amount": 200000, "annual_rate": 4.5, "tax": 20}, taxed)
    assert not as_percent.ok and as_percent.fix == {"tax": 0.2}
    assert loan({"amount": 200000, "annual_rate": 4.5, "tax": 0.2}, taxed).ok
    # no percentage in the request: nothing to compare with
    assert loan({"amount": 200000, "annual_rate": 0.045}, "A loan of $200,000 at 0.045?").ok


def test_a_percentage_passed_as_its_fraction_to_an_amount_is_not_kept():
    """xdev3 (and two dev explorations before): "the down payment is 25% of the price" passed
    as down_payment=0.25, a quarter of a dollar: the tool answers, on the wrong loan."""

    def loan(arguments: dict, query: str):
        call = step("loan", arguments, '{"monthly_payment": 491.94}', True)
        return scaled_as_described(trial([call], query=query, tool="loan"), LOAN)

    query = "The payment on a $100,000 home at 4.25% for 30 years with 25% down?"
    wrong = loan({"amount": 100000, "annual_rate": 4.25, "down_payment": 0.25}, query)
    assert not wrong.ok and "25% of 100000 is 25000" in wrong.reason
    assert wrong.fix == {"down_payment": 25000}
    assert loan({"amount": 100000, "annual_rate": 4.25, "down_payment": 25000}, query).ok
    # no amount in the request to take a share of: no verdict
    assert loan({"amount": 90, "annual_rate": 4.25, "down_payment": 0.25}, "25% down on 90?").ok


def test_the_unit_a_parameter_takes_comes_from_its_name_or_description():
    assert unit_of("term_months", {}) == ("time", "month")
    assert unit_of("weightKg", {}) == ("mass", "kilogram")
    assert unit_of("term", {"description": "Loan term in months."}) == ("time", "month")
    assert unit_of("amount", {"description": "Amount in USD."}) is None
    assert unit_of("top_n", {}) is None


def test_a_number_copied_from_another_unit_is_not_kept():
    def loan(arguments: dict, query: str):
        call = step("loan", arguments, '{"monthly_payment": 1580.17}', True)
        return units_as_asked(trial([call], query=query, tool="loan"), LOAN_TERM)

    query = "Monthly payment on a 30-year mortgage of $250,000 at 6.5%?"
    wrong = loan({"amount": 250000, "annual_rate": 6.5, "term_months": 30}, query)
    assert not wrong.ok and "term_months=30" in wrong.reason and "'30 year'" in wrong.reason
    assert "(30 year is 360 months)" in wrong.reason  # what the review tells the model
    assert wrong.fix == {"term_months": 360}  # and the value it offers, a whole number
    assert loan({"amount": 250000, "annual_rate": 6.5, "term_months": 360}, query).ok
    # the same number in the parameter's own unit, or in no unit, is as asked
    assert loan({"amount": 1, "annual_rate": 6.5, "term_months": 30}, "over 30 months").ok
    assert loan({"amount": 30, "annual_rate": 6.5, "term_months": 12}, "30 years, 12 months").ok
    # a number written in words has its unit as much as one in digits
    words = loan({"amount": 1, "annual_rate": 6.5, "term_months": 15}, "over fifteen years")
    assert not words.ok and "(fifteen years is 180 months)" in words.reason
    assert loan({"amount": 1, "annual_rate": 6.5, "term_months": 180}, "over fifteen years").ok
    assert not loan({"amount": 1, "annual_rate": 6.5, "term_months": 1}, "for one year").ok
    # a unit with no exact factor into the parameter's is named, and no value offered
    days = units_as_asked(
        trial([step("loan", {"term_days": 2}, "{}", True)], query="over 2 years", tool="loan"),
        Tool("loan", "A loan.", {"properties": {"term_days": {"type": "integer"}}}, dict),
    )
    assert not days.ok and days.fix == {}


def test_a_quantity_converts_only_by_an_exact_factor():
    from ste.checks.scales import converted

    assert converted(30, "year", "month") == 360
    assert converted(90, "minute", "hour") == 1.5
    assert converted(2, "pound", "kilogram") == 0.9072
    assert converted(1, "year", "day") is None  # no fixed number of days


def test_choices_come_with_the_glosses_the_description_gives_them():
    assert choices(DISTANCE.parameters["properties"]["unit"]) == {
        "km": ["km"],
        "mi": ["mi", "statute miles"],
        "nmi": ["nmi", "nautical miles"],
    }
    assert choices(DISTANCE.parameters["properties"]["city"]) == {}  # an example, not a choice


def test_a_choice_named_by_its_gloss_must_be_the_one_passed():
    miles = step("distance", {"city": "Rome", "unit": "mi"}, '{"distance": 700}', True)
    asked = trial([miles], query="How far is Rome in nautical miles?", tool="distance")
    check = enums_as_asked(asked, DISTANCE)
    assert not check.ok and "'nmi'" in check.reason
    right = trial([miles], query="How far is Rome in statute miles?", tool="distance")
    assert enums_as_asked(right, DISTANCE).ok


def test_every_choice_the_request_names_must_be_passed():
    miles = step("distance", {"city": "Rome", "unit": "mi"}, '{"distance": 700}', True)
    km = step("distance", {"city": "Rome"}, '{"distance": 1127}', True)  # km: the default
    query = "How far is Rome, in statute miles and in km?"
    check = every_choice_asked(trial([miles], query=query, tool="distance"), DISTANCE)
    assert not check.ok and "'km'" in check.reason and "'mi'" in check.reason
    assert every_choice_asked(trial([miles, km], query=query, tool="distance"), DISTANCE).ok


def test_a_value_the_request_names_swapped_after_an_error_is_a_doubt_for_the_judge():
    refused = step("nutrition", {"food": "coconut oil"}, "Error: Did you mean 'oil, olive'?", False)
    olive = step("nutrition", {"food": "oil, olive"}, '{"fat_g": 100}', True)
    swapped = trial([refused, olive], query="How much fat is in coconut oil?", tool="nutrition")
    check = kept_to_the_request(swapped, FOOD)
    assert not check.ok and check.question
    assert '"oil, olive"' in check.question and "Did you mean" in check.question
    year = [
        step("nutrition", {"food": "rice", "grams": 150}, "Error: grams must be <= 100", False),
        step("nutrition", {"food": "rice", "grams": 100}, '{"kcal": 130}', True),
    ]
    assert not kept_to_the_request(trial(year, query="Calories in 150 g of rice?"), FOOD).ok
    # the same value qualified is not a swap
    london = [
        step("distance", {"city": "London"}, "Error: 'London' is ambiguous", False),
        step("distance", {"city": "London, GB"}, '{"distance": 344}', True),
    ]
    assert kept_to_the_request(trial(london, query="How far is London?"), DISTANCE).ok
    # ... unless the tool offered several and the request does not say which was meant
    offered = "Error: 'London' is ambiguous: 'London, CA', 'London, GB'. Qualify city"
    guessed = [
        step("distance", {"city": "London"}, offered, False),
        step("distance", {"city": "London, CA"}, '{"distance": 5570}', True),
    ]
    check = kept_to_the_request(trial(guessed, query="How far is London?"), DISTANCE)
    assert not check.ok and "ambiguous" in check.reason and '"London, CA"' in check.question
    said = trial(guessed, query="How far is London, CA (in Ontario)?")
    assert kept_to_the_request(said, DISTANCE).ok
    # a value moved to another parameter is not replaced: from Paris, not to it
    ends = {"type": "object", "properties": {"start": {}, "end": {}}}
    route = Tool("route", "Distance between two cities.", ends, print)
    moved = [
        step("route", {"start": "London", "end": "Paris"}, offered, False),
        step("route", {"start": "Paris", "end": "London, GB"}, '{"distance": 344}', True),
    ]
    query = "How far is London, UK from Paris?"
    assert kept_to_the_request(trial(moved, query=query, tool="route"), route).ok


@pytest.mark.parametrize(
    ("old", "new", "refusal", "ok"),
    [
        ("miles", "mi", "Error: Unknown unit 'miles'. Accepted: km, mi, nmi", True),  # abbreviated
        ("feet", "ft", "Error: Unknown unit 'feet'.", True),
        ("miles", "m", "Error: Unknown unit 'miles'.", False),  # one letter: metres, not miles
        ("miles", "km", "Error: Unknown unit 'miles'.", False),
        (  # the tool names the value it accepts for the refused one
            "US/Eastern",
            "America/New_York",
            "Error: 'US/Eastern' is an alias (link) name; use the canonical name "
            "'America/New_York'.",
            True,
        ),
        (  # an example of the form is no translation
            "EST",
            "America/New_York",
            "Error: 'EST' is an abbreviation; use e.g. 'America/New_York'.",
            False,
        ),
    ],
)
def test_a_refused_value_written_in_the_tools_form_is_no_swap(old, new, refusal, ok):
    steps = [
        step("convert", {"unit": old}, refusal, False),
        step("convert", {"unit": new}, '{"value": 1}', True),
    ]
    unit = Tool("convert", "Convert.", {"type": "object", "properties": {"unit": {}}}, print)
    check = kept_to_the_request(trial(steps, query=f"How far is 3 {old}?"), unit)
    assert check.ok is ok, check.reason


def test_long_content_the_request_never_gave_is_not_grounded():
    text = Tool(
        "stats",
        "Statistics of a text.",
        {"type": "object", "properties": {"text": {"type": "string"}}},
        lambda **_: {},
    )
    fox = step("stats", {"text": "The quick brown fox jumps over the lazy dog."}, "{}", True)
    invented = trial([fox], query="How many words are in the text I wrote today?", tool="stats")
    assert not grounded(invented, text).ok
    given = trial([fox], query="Count the words of: the quick brown fox jumps over the lazy dog")
    assert grounded(given, text).ok


def test_a_one_word_option_the_request_never_says_is_not_grounded():
    recipes = Tool(
        "search",
        "Search recipes.",
        {
            "type": "object",
            "properties": {"ingredient": {"type": "string"}, "country": {"type": "string"}},
        },
        lambda **_: {},
    )
    result = '{"recipes": [{"name": "Hummus", "ingredients": ["chickpea", "garlic"]}]}'

    def searched(query, **arguments):
        return trial([step("search", arguments, result, True)], query=query, tool="search")

    unasked = searched("Five vegetarian recipes under 30 minutes.", ingredient="garlic")
    check = grounded(unasked, recipes)
    assert not check.ok and "ingredient='garlic'" in check.reason
    assert grounded(searched("Recipes with tomatoes?", ingredient="tomato"), recipes).ok
    assert grounded(searched("Recipes with garlic?", ingredient="garlic"), recipes).ok
    assert grounded(searched("French recipes?", country="FR"), recipes).ok  # a code
    # a word an earlier result gave: a second call narrowing by what the first found
    first = step("search", {}, result, True)
    narrowed = trial(
        [first, step("search", {"ingredient": "garlic"}, result, True)],
        query="Any recipes?",
        tool="search",
    )
    assert grounded(narrowed, recipes).ok


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("What are the top 10 most frequent words in the given text?", False),
        ("Summarize the attached document for me, please.", False),
        ("Find the 5 most frequent words in the sample text provided.", False),
        ("Generate a subnet description from a given CIDR notation.", False),  # any noun
        ("Which holidays fall in the following year in France?", True),  # a time, not content
        ('Count the words in the following text: "I came, I saw, I conquered."', True),
        ("Count the words in the following text: the quick brown fox jumps", True),
        ("How many sentences are in 'I came. I saw. I conquered.'?", True),
        ("How many words does a typical text message hold?", True),
        ("Create a Base64-encoded string from a longer text.", False),
        ("Convert 1500 USD to EUR on a specific date.", False),
        ("Convert 100 USD to EUR on a random future date in 2026.", False),
        ('Find vegetarian recipes from a specific cuisine, "french".', True),  # given
        ("Which holidays fall on a different weekend in 2025?", True),  # a time
        ("What are the 10 most frequent words in my document?", False),  # the user's own
        ('Count the words in my essay: "I came, I saw, I conquered."', True),  # given
    ],
)
def test_a_request_about_content_it_does_not_hold_is_not_one(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "does not hold it" in check.reason


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("I want to calculate the factorial of a number.", False),
        ("I need to calculate the cube of a negative number.", False),
        ("Find the distance between two cities, in kilometers.", False),
        ("How many days are between two dates: 2024-01-01 and 2024-02-01?", True),
        ("Find the distance between two cities, Paris and Rome.", True),
        ("Find a number of recipes with chicken.", True),  # a quantity, not a value
        ("Convert an amount of 50 dollars to euros.", True),
    ],
)
def test_a_request_that_names_a_value_by_its_kind_only_is_not_one(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "but gives none" in check.reason


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("Please provide me with some text and a metric I would like to use.", False),
        ("Can you provide me with a longer text about the weather and its word count?", False),
        ("Write a short paragraph about cats and count its words.", False),
        ("Give me a list of chicken recipes under 30 minutes.", True),  # a result, not input
        ('Count the words of this text I wrote: "I came, I saw, I conquered."', True),
        ('Write the sentence "I came, I saw" in upper case.', True),  # given, quoted
    ],
)
def test_a_request_that_asks_for_its_own_content_is_not_one(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "asks to be given what it is about" in check.reason


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("Please provide the names of various food groups and their daily intake.", False),
        ("To compare them, provide different sets of values for energy and macronutrients.", False),
        ("Suggest several cities in France and their distances from Paris.", False),
        ("Give me three chicken recipes under 30 minutes.", True),  # results, not input
        ("List all public holidays in France in 2026.", True),
    ],
)
def test_a_request_that_asks_the_helper_to_come_up_with_values_is_not_one(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "come up with values" in check.reason


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("The quick brown fox jumps over the lazy dog.", False),
        ("This recipe uses tomatoes, basil and garlic, with some added olive oil.", False),
        ("The quick brown fox jumps over the lazy dog: count its words.", True),
        ("The loan is $200,000 at 5% over 30 years; what is the monthly payment?", True),
        ("The meeting is at 9 AM in Tokyo, and I need the time in Paris.", True),
        ("Convert 5 km to miles.", True),  # an imperative opening: a request
        # sentences that ask nothing, whatever their opening (xdev3)
        ("Hello world! This is a test text.", False),
        ("5 km in miles.", True),  # one terse phrase: a request all the same
        ("Paris to Berlin. In km.", True),  # states nothing: terse, but a request
    ],
)
def test_a_bare_statement_is_not_a_request(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "a statement, not a request" in check.reason


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("Expression: '(1 + 4) / 2 * 2'", False),
        ("Text to analyse: The quick brown fox jumps over the lazy dog.", False),
        ("Expression: (1 + 4) / 2 * 2. What does it come to?", True),
        ("Count the words of this text: the quick brown fox jumps.", True),
        ("Note: I need 5 km in miles.", True),
    ],
)
def test_a_labelled_value_is_not_a_request(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check
    if not ok:
        assert "a labelled value" in check.reason


@pytest.mark.parametrize(
    "query",
    [
        "I'm sorry, but I need a specific request first.",
        "To help a user, give a text.",
        "User asks about the Unix timestamp of 2026-12-05 in UTC.",
        "Please provide the name of a country and I will find out its capital city.",
        "let's explore a new request.",
    ],
)
def test_a_refusal_or_talk_about_a_user_is_not_a_request(query):
    assert not natural_query(query).ok


def test_a_user_saying_what_they_will_do_is_still_a_request():
    assert natural_query("I will travel to Paris next week; what time is it there now?").ok


def test_a_request_written_after_a_user_label_is_one():
    assert natural_query("User: How many calories are in 100 g of spinach?").ok


COLOR = Tool(
    "convert_color",
    "Convert a color between formats.",
    {
        "type": "object",
        "properties": {
            "color": {"type": "string", "description": "The color, e.g. '#ff8800'."},
            "to_format": {
                "type": "string",
                "enum": ["hex", "rgb", "hsl"],
                "description": "The format to convert to.",
            },
        },
        "required": ["color", "to_format"],
    },
    lambda **_: {},
)


def test_a_choice_named_as_part_of_another_arguments_value_is_not_asked_for():
    to_rgb = step("convert_color", {"color": "hsl(180, 50%, 75%)", "to_format": "rgb"}, "{}", True)
    query = "Convert the HSL color (180, 50%, 75%) to RGB."
    asked = trial([to_rgb], query=query, tool="convert_color")
    assert every_choice_asked(asked, COLOR).ok  # 'hsl' names the color passed
    assert enums_as_asked(asked, COLOR).ok
    to_hex = step("convert_color", {"color": "rgb(255, 136, 0)", "to_format": "hex"}, "{}", True)
    hexadecimal = trial([to_hex], query="Convert RGB (255, 136, 0) to hex.", tool="convert_color")
    assert enums_as_asked(hexadecimal, COLOR).ok
    wrong = step("convert_color", {"color": "#ff8800", "to_format": "hex"}, "{}", True)
    asked_rgb = trial([wrong], query="What is #ff8800 in RGB?", tool="convert_color")
    assert not enums_as_asked(asked_rgb, COLOR).ok  # named for no other argument


@pytest.mark.parametrize(
    "query",
    [
        "I'd be happy to help you write a realistic request!",
        "I'm ready to help! What's your next request?",
        "I'll help you with that. Please go ahead and provide your request!",
        "Work out the square root of 144 with the calculate tool.",
        "Use convert_units to turn 5 km into miles.",
    ],
)
def test_an_offer_to_help_or_a_tool_named_is_not_a_request(query):
    units = described_tool({"name": "convert_units", "description": "Convert.", "parameters": {}})
    assert not natural_query(query, units).ok


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("Please provide the text that you would like me to analyze.", False),
        ("Which file would you like me to convert for you?", False),
        ("I can help with that. Can you give me the color you would like to convert?", False),
        ("What would you like to know about Roman numerals?", False),
        # an indirect request with its values is one (labelled right in the sample)
        ("I would like to know if there is a way to calculate the calories of 500g apple.", True),
        ("Please give me the distance between Paris and Rome.", True),
        ("Would you tell me the holidays of France in 2025?", True),
        ("Find the fastest way to get from Paris to Rome by train.", True),
        ("Think about what to do next", False),  # the agent's format, echoed
    ],
)
def test_the_helpers_voice_is_not_a_request(query, ok):
    check = natural_query(query)
    assert check.ok is ok, check


def test_a_tool_named_by_a_plain_verb_may_be_the_users_own_word():
    calculate = described_tool(
        {"name": "calculate", "description": "Evaluate arithmetic.", "parameters": {}}
    )
    asked = natural_query("I'd like to calculate the factorial of 5, divided by 3.", calculate)
    assert asked.ok


@pytest.fixture
def convert(toolboxes):
    return load_tools(str(toolboxes / "sample.py"))[0]


def swapped_unit():
    return trial(
        [
            step("convert", {"value": 10, "unit": "klicks"}, "Error: unit: not km or mi", False),
            step("convert", {"value": 10, "unit": "km"}, '{"result": 6.21, "unit": "mi"}', True),
        ],
        # slang the tool does not take, written as a code: a rule cannot tell it is the same
        query="How many miles is 10 klicks (kilometres)?",
        final="10 klicks is 6.21 mi",
    )


@pytest.mark.parametrize(
    "answer, kept", [("Yes - km is how the tool writes kilometres", True), ("No - other", False)]
)
async def test_the_judge_settles_a_doubt(convert, tmp_path, answer, kept):
    record = swapped_unit()
    [doubt] = [c for c in rule_checks(record, convert, True) if not c.ok]
    assert doubt.name == "kept_to_the_request"
    judge = ScriptedModel([GOOD, answer])
    settings = DistillSettings(dedup="lexical", target_per_tool=0, settle_doubts=True)
    await distill(
        [record],
        {"convert": convert},
        tmp_path,
        settings,
        judge,
        None,
        runnable={"convert": convert},
    )
    decision = json.loads((tmp_path / "decisions.json").read_text())[record.id]
    assert decision["kept"] is kept
    assert "doubt:kept_to_the_request" in decision["judge"]
    if kept:
        settled = [c for c in decision["checks"] if c["name"] == "kept_to_the_request"]
        assert settled[0]["ok"] and "the judge: km is how" in settled[0]["reason"]
    else:
        assert decision["rejected_by"] == "judge" and "not doubt:" in decision["reason"]
    # the question was asked with the whole example in view
    assert "kilometres" in judge.requests[-1]["messages"][0]["content"]


@pytest.mark.parametrize("judged", [False, True])
async def test_without_a_judge_or_by_default_a_doubt_rejects(convert, tmp_path, judged):
    settings = DistillSettings(judge=judged, dedup="lexical", target_per_tool=0)
    judge = ScriptedModel([GOOD, "Yes - km is how the tool writes kilometres"])
    await distill(
        [swapped_unit()],
        {"convert": convert},
        tmp_path,
        settings,
        judge if judged else None,
        None,
        runnable={"convert": convert},
    )
    decision = json.loads((tmp_path / "decisions.json").read_text())["convert/e1/t1"]
    assert decision["rejected_by"] == "kept_to_the_request"
    assert not judge.requests  # nothing asked of a judge about an example already rejected


RECIPES = Tool(
    "recipes",
    "Search recipes.",
    {
        "type": "object",
        "properties": {
            "max_minutes": {"type": ["integer", "null"], "default": None},
            "sort_by": {
                "type": "string",
                "default": "rating",
                "description": "Order: 'rating' (best first, default), 'minutes' (quickest "
                "first) or 'name'.",
            },
        },
    },
    lambda **_: {},
)


def test_a_quantity_another_parameter_takes_by_its_name_is_not_a_choice():
    call = step("recipes", {"max_minutes": 30}, '{"recipes": []}', True)
    popular = trial([call], query="The most popular dishes under 30 minutes?", tool="recipes")
    assert enums_as_asked(popular, RECIPES).ok  # 30 minutes is max_minutes, not sort_by
    quickest = trial(
        [call], query="The 3 dishes quickest in minutes, under 30 minutes?", tool="recipes"
    )
    check = enums_as_asked(quickest, RECIPES)
    assert not check.ok and "'minutes'" in check.reason  # "in minutes" still names the order


def test_a_lower_bound_is_not_passed_as_an_upper_one():
    call = step("recipes", {"max_minutes": 30}, '{"recipes": []}', True)
    over = trial([call], query="Dishes that take over 30 minutes?", tool="recipes")
    check = bounds_as_asked(over, RECIPES)
    assert not check.ok and "over 30" in check.reason and "max_minutes=30" in check.reason
    under = trial([call], query="Dishes ready in less than 30 minutes?", tool="recipes")
    assert bounds_as_asked(under, RECIPES).ok
    assert bound("min_rating", {}) == "min" and bound("minutes", {}) is None


@pytest.mark.parametrize("said", ["no more than", "not more than", "No more than"])
def test_no_more_than_is_an_upper_bound(said):
    """8 of a dev exploration's 12 recipe searches were rejected for reading "no more than
    30 minutes" as "more than 30"."""
    call = step("recipes", {"max_minutes": 30}, '{"recipes": []}', True)
    case = trial([call], query=f"Vegetarian dishes that take {said} 30 minutes?", tool="recipes")
    assert bounds_as_asked(case, RECIPES).ok
    lower = step("recipes", {"min_minutes": 30}, '{"recipes": []}', True)
    at_least = trial([lower], query="Dishes that take no less than 30 minutes?", tool="recipes")
    assert bounds_as_asked(at_least, RECIPES).ok


def test_two_things_named_and_one_passed_is_not_kept():
    call = step("nutrition", {"food": "olive oil"}, '{"fat_g": 100}', True)
    both = trial([call], query="Recipes with garlic and olive oil?", tool="nutrition")
    check = every_value_passed(both, FOOD)
    assert not check.ok and "'garlic'" in check.reason
    passed = trial(
        [call, step("nutrition", {"food": "garlic"}, '{"fat_g": 1}', True)],
        query="Recipes with garlic and olive oil?",
        tool="nutrition",
    )
    assert every_value_passed(passed, FOOD).ok
    assert (
        every_value_passed(trial([call], query="Salt and olive oil?", tool="nutrition"), FOOD).ok
        is False
    )
    alone = trial([call], query="How much fat is in olive oil and why?", tool="nutrition")
    assert every_value_passed(alone, FOOD).ok  # nothing named beside it


def test_the_first_of_a_list_passed_alone_is_not_kept():
    """xdev3: "include garlic, onions, and bell peppers" searched by garlic alone."""
    call = step("nutrition", {"food": "garlic"}, '{"fat_g": 1}', True)

    def asked(query):
        return every_value_passed(trial([call], query=query, tool="nutrition"), FOOD)

    check = asked("Recipes that include garlic, onions, and bell peppers?")
    assert not check.ok and "'onions' beside 'garlic'" in check.reason
    assert not asked("Recipes with one of garlic, onions or leeks?").ok
    assert asked("How much fat is in garlic, compared with butter?").ok  # no list
    assert asked("Recipes with garlic, ready in 20 minutes?").ok


def test_a_format_the_description_writes_with_placeholders_is_no_value():
    """A bundled exploration's version requests quoted the description's format beside the
    two versions ('... in the format "MAJOR.MINOR.PATCH"'); that names no third version."""
    versions = Tool(
        "compare_versions",
        'Compare two versions ("MAJOR.MINOR.PATCH[-prerelease][+build]").',
        {
            "type": "object",
            "properties": {"version_a": {"type": "string"}, "version_b": {"type": "string"}},
            "required": ["version_a", "version_b"],
        },
        lambda **_: {},
    )
    versions_passed = {"version_a": "3.0.1", "version_b": "2.9.9"}
    call = step("compare_versions", versions_passed, '{"newer": "a"}', True)
    query = 'Is "3.0.1" newer than "2.9.9"? Both are written "MAJOR.MINOR.PATCH".'
    assert every_value_passed(trial([call], query=query, tool="compare_versions"), versions).ok
    assert format_template("MAJOR.MINOR.PATCH", versions)
    assert not format_template("YYYY-MM-DD", versions)  # not in this tool's description
    assert not format_template("1.4.2", versions) and not format_template("FRA", versions)
    third = 'Is "3.0.1" newer than "2.9.9" and "4.0.0"?'
    check = every_value_passed(trial([call], query=third, tool="compare_versions"), versions)
    assert not check.ok and "'4.0.0'" in check.reason


COUNTRY = Tool(
    "country",
    "Facts about a country.",
    {
        "type": "object",
        "properties": {"code": {"type": "string", "description": "ISO alpha-3 code."}},
        "required": ["code"],
    },
    lambda **_: {},
)


@pytest.mark.parametrize(
    "query, code, result, ok",
    [
        # the model chose the country the request asks about by a property: from memory
        ("What is the capital of the largest country in the world?", "CHN", "China", False),
        ("Which is the most populous country's currency?", "IND", "India", False),
        # the request names it, or the result names what the request names
        ("What is the capital of the largest country, Russia?", "RUS", "Russia", True),
        ("What is the capital of Switzerland?", "CHE", "Switzerland", True),
        ("What is the latest population of CHE?", "CHE", "Switzerland", True),
        ("Tell me about France, the most visited country.", "FRA", "France", True),
    ],
)
def test_an_entity_asked_for_by_a_superlative_must_not_be_chosen_from_memory(
    query, code, result, ok
):
    observation = json.dumps({"code": code, "name": result, "capital": "X"})
    record = trial(
        [step("country", {"code": code}, observation, True)],
        final=f"{result}: X",
        query=query,
        tool="country",
    )
    check = entity_from_request(record, COUNTRY)
    assert check.ok is ok, check.reason
    if not ok:
        assert f"code={code!r}" in check.reason and "memory" in check.reason


def test_an_options_name_is_no_entity_chosen_from_memory():
    """ "the most unique words" with metric='sentence_count': a choice among the tool's
    options, which other checks read, not an entity the model looked up from memory."""
    stats = Tool(
        "stats",
        "Text statistics.",
        {
            "type": "object",
            "properties": {"text": {"type": "string"}, "metric": {"type": "string"}},
            "required": ["text", "metric"],
        },
        lambda **_: {},
    )
    arguments = {"text": "a b a", "metric": "sentence_count"}
    record = trial(
        [step("stats", arguments, '{"value": 1}', True)],
        final="1",
        query="Count the sentences of 'a b a' and find the most unique words.",
        tool="stats",
    )
    assert entity_from_request(record, stats).ok


def test_a_date_the_request_writes_out_must_reach_the_call():
    from ste.checks.literals import dates_passed

    latest = step("convert", {"amount": 350, "date": None}, '{"rate_date": "2025-03-26"}', True)
    query = "Convert 350 USD to JPY on 2026-12-07."
    check = dates_passed(trial([latest], query=query, tool="convert"), DISTANCE)
    assert not check.ok and "2026-12-07" in check.reason
    dated = step("convert", {"amount": 350, "date": "2026-12-07"}, '{"rate": 1}', True)
    assert dates_passed(trial([dated], query=query, tool="convert"), DISTANCE).ok
    within = step("t", {"value": "2026-12-07T12:00:00Z"}, '{"unix": 1}', True)
    assert dates_passed(trial([within], query=query, tool="t"), DISTANCE).ok
    words = trial([latest], query="Convert 350 USD to JPY on July 15, 2023.", tool="convert")
    check = dates_passed(words, DISTANCE)  # a date in words with its year: read as 2023-07-15
    assert not check.ok and "July 15, 2023" in check.reason
    on_day = step("convert", {"amount": 350, "date": "2023-07-15"}, '{"rate": 1}', True)
    words = trial([on_day], query="Convert 350 USD to JPY on July 15, 2023.", tool="convert")
    assert dates_passed(words, DISTANCE).ok
    no_year = trial([latest], query="Convert 350 USD to JPY on July 15.", tool="convert")
    assert dates_passed(no_year, DISTANCE).ok  # the year is the call's choice: the judge's


def test_a_date_written_out_names_its_iso_form():
    from ste.checks.arguments import mentions
    from ste.checks.numbers import written_dates

    assert [d.isoformat() for _, d in written_dates("from Dec. 7th 2026 to 8 March, 2027")] == [
        "2026-12-07",
        "2027-03-08",
    ]
    assert written_dates("February 30, 2026 and May 2026") == []
    assert mentions("Convert 17:30 on December 7, 2026 from Paris to UTC.", "2026-12-07")
    assert not mentions("Convert 17:30 on December 8, 2026 from Paris to UTC.", "2026-12-07")


def test_a_result_that_only_repeats_the_call_is_not_the_tools_answer():
    from ste.checks.literals import computes_something

    echo = step("calc", {"expression": "5"}, '{"result": 5}', True)
    query = "What is the average of the squares of the first five natural numbers?"
    check = computes_something(trial([echo], query=query, tool="calc"), DISTANCE)
    assert not check.ok and "nothing the tool computed" in check.reason
    computed = step("calc", {"expression": "(1+4+9+16+25)/5"}, '{"result": 11}', True)
    assert computes_something(trial([computed], query=query, tool="calc"), DISTANCE).ok
    same = step("count", {"text": "a b", "metric": "word_count"}, '{"metric": "word_count"}', True)
    assert not computes_something(trial([same], query="Words in 'a b'?", tool="c"), DISTANCE).ok
    counted = step("count", {"text": "a b"}, '{"metric": "word_count", "value": 2}', True)
    assert computes_something(trial([counted], query="Words in 'a b'?", tool="c"), DISTANCE).ok


def test_a_choice_the_request_rules_out_is_not_asked_for():
    miles = step("distance", {"city": "Rome", "unit": "mi"}, '{"distance": 700}', True)
    query = "How far is Rome in statute miles, not km?"
    assert every_choice_asked(trial([miles], query=query, tool="distance"), DISTANCE).ok


@pytest.mark.parametrize(
    "query",
    [
        "Compute (3.7 + 4.25) × 12 − 18 ÷ 4.",  # an expression: few words, many numbers
        "Pull the query parameters out of https://example.org/search?q=shoes&size=10",
    ],
)
def test_an_expression_or_a_urls_query_parameters_are_requests(query):
    check = natural_query(query)
    assert check.ok, check.reason


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        ("Convert 10 meters to feet and inches.", "10 meters is 32.8084 feet.", False),
        ("Convert 10 meters to feet and inches.", "32 feet and 9.7 inches.", True),
        ("How long is 150 minutes in hours and minutes?", "2 hours 30 minutes", True),
        ("How long is 150 minutes in hours and minutes?", "2.5 hours", False),
        ("Convert 10 meters to feet.", "32.8084 ft", True),  # one unit asked
    ],
)
def test_a_result_asked_in_two_units_is_answered_in_both(query, final, ok):
    from ste.checks.scales import units_answered

    call = step("convert", {"value": 10}, '{"value": 32.8084}', True)
    assert units_answered(trial([call], final=final, query=query)).ok is ok


@pytest.mark.parametrize(
    ("query", "final", "ok"),
    [
        ("What is France's area in miles squared?", "It is 551,695 square kilometers.", False),
        ("What is France's area in square miles?", "It is 213,011 square miles.", True),
        ("Convert 10 meters to feet.", "10 meters is 10.0 meters.", False),
        ("Convert 10 meters to feet.", "10 meters is 32.8 feet.", True),
        ("How far is Paris from Lyon in km?", "392 kilometres.", True),  # another form
        ("What will the date be in 5 days?", "In 120 hours: 2026-12-11.", True),  # a time
    ],
)
def test_a_result_asked_in_one_unit_is_not_answered_only_in_another(query, final, ok):
    from ste.checks.scales import units_answered

    call = step("convert", {"value": 10}, '{"value": 32.8084}', True)
    check = units_answered(trial([call], final=final, query=query))
    assert check.ok is ok, check.reason


def test_a_quoted_value_passed_in_parts_is_passed():
    """ "Convert the time '2026-12-05 16:00' in 'Asia/Shanghai'" called with date and time
    apart (a dev exploration's right trials were rejected for it)."""
    from ste.checks.parts import every_value_passed

    zone = Tool(
        "zone",
        "Convert a time.",
        {
            "type": "object",
            "properties": {
                "date": {"type": "string"},
                "time": {"type": "string"},
                "from_tz": {"type": "string"},
            },
        },
        lambda **_: {},
    )
    arguments = {"date": "2026-12-05", "time": "16:00", "from_tz": "Asia/Shanghai"}
    query = "Convert the time '2026-12-05 16:00' in the time zone 'Asia/Shanghai' to Sydney."
    case = trial([step("zone", arguments, '{"time": "19:00"}', True)], query=query, tool="zone")
    assert every_value_passed(case, zone).ok


def test_a_refused_value_replaced_by_the_same_words_is_no_swap():
    from ste.checks.swaps import kept_to_the_request

    food = Tool(
        "food",
        "Nutrition.",
        {"type": "object", "properties": {"food": {"type": "string"}}},
        lambda **_: {},
    )
    steps = [
        step(
            "food",
            {"food": "brown rice, cooked"},
            "Error: Did you mean 'rice, brown, cooked'?",
            False,
        ),
        step("food", {"food": "rice, brown, cooked"}, '{"energy_kcal": 123}', True),
    ]
    case = trial(steps, query="Macronutrients of 100 g of brown rice, cooked?", tool="food")
    assert kept_to_the_request(case, food).ok
    swapped = [
        steps[0],
        step("food", {"food": "rice, white, cooked"}, '{"energy_kcal": 130}', True),
    ]
    other = trial(swapped, query="Macronutrients of 100 g of brown rice, cooked?", tool="food")
    assert not kept_to_the_request(other, food).ok


def test_a_small_number_is_not_grounded_by_rounding_a_large_one():
    from ste.checks.arguments import grounded_number

    # 2024 / 1000 is 2.024: rounded to one decimal it is 2.0, no ground for `month=2`
    assert not grounded_number(2, {2024.0})
    assert grounded_number(2.08, {25.0})  # 25 / 12 to two decimals
    assert grounded_number(2.1, {25.0})  # and to one


def _tool_of(name: str, parameter: str, description: str) -> Tool:
    properties = {parameter: {"type": "string", "description": description}}
    return Tool(name, "A tool.", {"type": "object", "properties": properties}, lambda **_: {})


@pytest.mark.parametrize(
    ("query", "tool", "ok"),
    [
        (
            "Give the SHA-256 hash of a file named 'example.txt'.",
            ("hash", "text", "The text."),
            False,
        ),
        (
            'Top 5 words in the document "report.docx".',
            ("stats", "text", "Text to analyse."),
            False,
        ),
        (
            "Parse https://example.com/files/report.pdf for me.",
            ("parse", "text", "Any text."),
            True,
        ),
        ("How large is the file 'data.csv'?", ("size", "path", "A path on disk."), True),
        ("Fetch 'index.html' from the site.", ("fetch", "page", "The page's URL."), True),
        ("Hash the words 'hello world'.", ("hash", "text", "The text."), True),
    ],
)
def test_a_request_about_a_file_the_tool_cannot_read_is_not_one(query, tool, ok):
    check = natural_query(query, _tool_of(*tool))
    assert check.ok is ok, check
    if not ok:
        assert "about the file" in check.reason


def test_a_code_the_request_never_gave_is_grounded_by_a_result_naming_what_it_quotes():
    status = Tool(
        "http_status",
        "What an HTTP status code means.",
        {"type": "object", "properties": {"code": {"type": "integer"}}, "required": ["code"]},
        lambda **_: {},
    )
    result = '{"code": 404, "phrase": "Not Found", "class": "4xx Client Error"}'
    lookup = step("http_status", {"code": 404}, result, True)
    asked = trial([lookup], query="Find the status code for 'Not Found'", tool="http_status")
    assert grounded(asked, status).ok
    unquoted = trial([lookup], query="Which code means a page is missing?", tool="http_status")
    assert not grounded(unquoted, status).ok  # nothing named that the result confirms
    other = step("http_status", {"code": 500}, '{"code": 500, "phrase": "Server Error"}', True)
    wrong = trial([other], query="Find the status code for 'Not Found'", tool="http_status")
    assert not grounded(wrong, status).ok


@pytest.mark.parametrize(
    ("query", "ok"),
    [
        ("hash text='hello world'", False),  # a call's syntax
        ("Work out text = 'hello world' please", False),
        ("Hash it, text: 'hello world'", False),
        ("Hash the text 'hello world' for me.", True),  # the parameter's word in prose
        ("What text: the one I sent?", True),  # no value after the colon
    ],
)
def test_a_request_giving_a_parameter_its_value_in_a_calls_syntax_is_not_one(query, ok):
    check = natural_query(query, _tool_of("hash", "text", "The text."))
    assert check.ok is ok, check
    if not ok:
        assert "talks about the tool ('text')" in check.reason


def test_a_choice_the_result_gives_as_a_value_is_accounted_for():
    result = '{"input_format": "hex", "to_format": "rgb", "result": "rgb(255, 136, 0)"}'
    to_rgb = step("convert_color", {"color": "#f80", "to_format": "rgb"}, result, True)
    query = 'Convert the hex color "#f80" to RGB format.'
    assert every_choice_asked(trial([to_rgb], query=query, tool="convert_color"), COLOR).ok
    # a result that gives neither leaves the second choice unpassed
    bare = step("convert_color", {"color": "#f80", "to_format": "rgb"}, '{"result": "x"}', True)
    check = every_choice_asked(trial([bare], query=query, tool="convert_color"), COLOR)
    assert not check.ok and "'hex'" in check.reason


def test_a_value_a_description_assigns_to_another_parameter_is_no_choice_of_this_one():
    from ste.checks.arguments import choices

    schema = {
        "type": "string",
        "description": 'With to="iso": epoch seconds, e.g. "1700000000". With to="unix": an '
        "ISO timestamp. Or 'now'.",
    }
    assert list(choices(schema)) == ["now"]


def test_a_choice_under_which_the_result_repeats_a_passed_value_is_accounted_for():
    unix = Tool(
        "unix_time",
        "Convert between epoch seconds and ISO 8601.",
        {
            "type": "object",
            "properties": {
                "value": {"type": "string", "description": "The value."},
                "to": {"type": "string", "enum": ["iso", "unix"], "description": "The target."},
            },
            "required": ["value", "to"],
        },
        lambda **_: {},
    )
    result = '{"result": "2023-11-14T22:13:20Z", "unix": 1700000000}'
    to_iso = step("unix_time", {"value": "1700000000", "to": "iso"}, result, True)
    query = "Convert the Unix timestamp '1700000000' to an ISO 8601 timestamp."
    assert every_choice_asked(trial([to_iso], query=query, tool="unix_time"), unix).ok
    assert enums_as_asked(trial([to_iso], query=query, tool="unix_time"), unix).ok


def test_a_request_saying_what_to_input_talks_about_the_tool():
    tool = _tool_of("compare_versions", "version_a", "The first version.")
    said = 'Is "3.0.1" newer than "2.9.9"? I need to input both versions in the format "X.Y.Z".'
    check = natural_query(said, tool)
    assert not check.ok and "'I need to input'" in check.reason
    assert natural_query('Is version "3.0.1" newer than "2.9.9"?', tool).ok


def test_a_request_telling_the_user_how_to_do_it_is_the_helpers_voice():
    """Asked for a request from a call, the 1.5B model wrote 'To split the URL ... into its
    parts, you would make the following request'."""
    tool = _tool_of("parse_url", "url", "The URL.")
    said = "To split the URL https://example.com/a?b=1 into its parts, you would make a request."
    check = natural_query(said, tool)
    assert not check.ok and "'you would make'" in check.reason
    assert natural_query("Split the URL https://example.com/a?b=1 into its parts.", tool).ok
    # and one telling the user what to give (kept from a dev exploration by answering again)
    said = "To see the holidays of France in 2026, you should provide the country code 'FR'."
    check = natural_query(said, tool)
    assert not check.ok and "'you should provide'" in check.reason
    assert natural_query("Can you provide the holidays of France in 2026?", tool).ok
    # and one asking for its input (xdev3: "... and the metric for me to compute")
    said = 'Please provide the text "Hello world!" and the metric for me to compute.'
    check = natural_query(said, tool)
    assert not check.ok and "'for me to compute'" in check.reason
    assert natural_query('Please compute the word count of "Hello world!" for me.', tool).ok


def test_an_optional_argument_not_grounded_is_fixed_by_its_default_a_required_one_is_not():
    loan = Tool(
        "loan",
        "A loan's payment.",
        {
            "type": "object",
            "properties": {
                "amount": {"type": "number"},
                "extra": {"type": "number", "default": 0},
                "fee": {"type": "number"},
            },
            "required": ["amount"],
        },
        lambda **_: {},
    )
    made_up = step("loan", {"amount": 7000, "extra": 150, "fee": 12}, '{"payment": 1}', True)
    check = grounded(trial([made_up], query="The payment of a $5,000 loan?", tool="loan"), loan)
    assert not check.ok and "amount=7000" in check.reason and "extra=150" in check.reason
    assert check.fix == {"extra": 0}  # amount is required; fee has no default to go back to
