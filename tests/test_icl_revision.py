"""A call written again with its tool's notes stands where the notes, the tool or the
request support its changes; else the first call (or its value) stands."""

from ste.agent.trajectory import CallRecord
from ste.icl.revision import revision_kept, shape, supported
from ste.tools.tool import Tool


def _tool(name, properties, required):
    schema = {"type": "object", "properties": properties, "required": required}
    return Tool(name, f"The {name} tool.", schema, lambda **_: {})


COUNTRY = _tool(
    "country",
    {"code": {"type": "string", "description": "ISO 3166-1 alpha-3 code, e.g. 'FRA'."}},
    ["code"],
)
HOLIDAYS = _tool(
    "holidays",
    {
        "country": {"type": "string", "description": "Alpha-2 code, e.g. 'DE'."},
        "year": {"type": "integer"},
    },
    ["country", "year"],
)
LOAN = _tool(
    "loan",
    {
        "amount": {"type": "number"},
        "term_months": {"type": "integer", "description": "Loan term in months."},
        "precision": {"type": "integer", "default": 2},
    },
    ["amount", "term_months"],
)


def call(name, **arguments):
    return CallRecord(name=name, arguments=arguments)


def test_a_form_the_notes_name_stands():
    before, after = call("country", code="JP"), call("country", code="JPN")
    notes = "- The tool takes three-letter codes, e.g. 'FRA', 'JPN'."
    assert revision_kept(before, after, "Japan's capital?", COUNTRY, notes) == after


def test_a_form_of_the_codes_the_tool_quotes_stands():
    before, after = call("country", code="DE"), call("country", code="DEU")
    assert revision_kept(before, after, "Germany's currency?", COUNTRY, "") == after


def test_a_value_nothing_supports_is_put_back():
    # the holiday tool quotes alpha-2 codes: 'FRA' is another tool's code system
    before, after = (
        call("holidays", country="FR", year=2026),
        call("holidays", country="FRA", year=2026),
    )
    kept = revision_kept(before, after, "France's holidays in 2026?", HOLIDAYS, "")
    assert kept.arguments == {"country": "FR", "year": 2026}


def test_a_value_the_request_names_in_part_stands():
    zone = _tool("zone", {"to_tz": {"type": "string"}}, ["to_tz"])
    before, after = call("zone", to_tz="Brazil/Sao_Paulo"), call("zone", to_tz="America/Sao_Paulo")
    assert revision_kept(before, after, "9:00 in São Paulo?", zone, "") == after


def test_another_tool_or_no_call_leaves_the_first_call():
    before = call("holidays", country="JP", year=2025)
    other = call("country", code="JPN")
    assert revision_kept(before, other, "Japan's holidays in 2025?", HOLIDAYS, "") is before
    assert revision_kept(before, None, "Japan's holidays in 2025?", HOLIDAYS, "") is before


def test_a_call_that_breaks_a_check_the_first_passed_is_not_taken():
    # "30 years" was 360 months; a note quoting a wrong first call made it 30
    before, after = (
        call("loan", amount=250000, term_months=360),
        call("loan", amount=250000, term_months=30),
    )
    notes = "- term_months=360 is right (a first call was wrong for it: term_months=30)."
    query = "The monthly payment on $250,000 over 30 years?"
    assert revision_kept(before, after, query, LOAN, notes) is before
    # the other way round, the correction stands
    assert revision_kept(after, before, query, LOAN, notes) == before


def test_an_unasked_option_added_is_taken_out_rather_than_losing_the_fix():
    before = call("loan", amount=250000, term_months=30)
    after = call("loan", amount=250000, term_months=360, precision=4)
    kept = revision_kept(before, after, "The payment on $250,000 over 30 years?", LOAN, "")
    assert kept.arguments == {"amount": 250000, "term_months": 360}


RECIPES = _tool(
    "recipes",
    {
        "ingredient": {"type": "string", "default": None},
        "vegetarian": {"type": ["boolean", "null"], "default": None},
    },
    [],
)


def test_a_flag_the_request_does_not_name_is_taken_out():
    before = call("recipes", ingredient="eggplant")
    after = call("recipes", ingredient="eggplant", vegetarian=True)
    notes = "- vegetarian=true works."
    assert revision_kept(before, after, "Which recipes use eggplant?", RECIPES, notes) == before
    # named by the request, or set by the first call already, it stays
    asked = "Which vegetarian recipes use eggplant?"
    assert revision_kept(before, after, asked, RECIPES, notes) == after
    flagged = call("recipes", ingredient="aubergine", vegetarian=True)
    kept = revision_kept(flagged, after, "Which recipes use eggplant?", RECIPES, notes)
    assert kept == after


def test_shapes_and_support():
    assert shape("DEU") == "AAA" and shape("de") == "aa" and shape("2025-03-01") == "9999-99-99"
    assert supported("DEU", "codes such as 'FRA'", "DE")
    assert not supported("DEU", "codes such as 'FRA' or 'FR'", "DE")  # both forms quoted
