"""Requests outside what a tool's refusals say it covers (`ste.explore.ranges`) are asked
again before they are tried, and have their dates moved inside if still outside."""

import pytest

from ste.explore.ranges import covered, moved_inside, outside
from ste.tools import load_tools
from test_explore import Explorer, run, trials_of

RATES = (
    "Error: No exchange rates for 2026-12-31: the table covers 2025-01-02 to 2025-03-26 "
    "(business days; weekend dates use the previous business day)"
)
YEARS = "Error: No holiday data for 2027; available years: 2024-2026"


@pytest.mark.parametrize(
    ("query", "refusal", "asked"),
    [
        ("Convert 500 USD to INR on the last day of 2026.", RATES, "2026"),
        ("Convert 300 EUR to CAD after 2026-12-29.", RATES, "2026-12-29"),
        ("Convert 100 USD to EUR on December 5th, 2026.", RATES, "December 5th, 2026"),
        ("Convert 100 USD to EUR on the 5th of December 2026.", RATES, "5th of December 2026"),
        ("The next public holiday in the UK for 2028?", YEARS, "2028"),
        ("Convert 2000 USD to EUR on 2025-02-03", RATES, None),  # 2000 is an amount
        ("Convert 100 USD to EUR on March 3, 2025", RATES, None),
        ("Convert 450 CHF to CAD today.", RATES, None),  # no date named
        ("What holidays are in May 2026 in France?", YEARS, None),
        ("Holidays of 2028 in France?", "Error: unknown country 'FR2'", None),  # no period
        # a day without its year: outside a period that holds it in none of its years
        ("Convert 100 dollars to euros on December 5th.", RATES, "December 5th"),
        ("Convert 200 dollars to yen on the 4th of December.", RATES, "4th of December"),
        ("Convert 100 dollars to euros on March 3rd.", RATES, None),
        ("Which holidays fall around December 25th?", YEARS, None),
    ],
)
def test_a_date_outside_every_period_the_refusals_name(query, refusal, asked):
    missed = outside(query, [refusal])
    assert (missed[0] if missed else None) == asked


@pytest.mark.parametrize(
    ("query", "refusal", "moved"),
    [
        # an ISO date: the same day in a covered year, else the period's nearest end
        ("Convert 300 USD to EUR on the 2026-12-01 rate.", RATES, "on the 2025-03-26 rate."),
        ("Convert 300 USD to EUR on 2024-12-01.", RATES, "on 2025-01-02."),
        ("Convert 300 USD to EUR on 2026-02-10.", RATES, "on 2025-02-10."),
        ("Holidays in Germany on 2027-12-25?", YEARS, "on 2026-12-25?"),
        ("The public holidays in Spain in 2029?", YEARS, "in 2026?"),
        ("Holidays in France on December 25, 2028?", YEARS, "on December 25, 2026?"),
        # a written day no covered year holds: written anew at the period's nearest end
        ("Convert 100 USD to EUR on December 5th, 2026.", RATES, "on March 26, 2025."),
        ("Convert 50 CHF to EUR on December 5, 2026.", RATES, "on March 26, 2025."),
        # a day without its year: not moved
        ("Convert 100 dollars to euros on December 5th.", RATES, None),
        ("Convert 100 USD to EUR on 2025-02-03.", RATES, None),  # inside already
    ],
)
def test_dates_outside_are_moved_into_the_period_covered(query, refusal, moved):
    new = moved_inside(query, [refusal])
    if moved is None:
        assert new is None
    else:
        assert new is not None and new.endswith(moved) and outside(new, [refusal]) is None


def test_periods_are_read_from_date_ranges_else_year_ranges():
    (rates,) = covered([RATES])
    assert (rates.start.isoformat(), rates.end.isoformat()) == ("2025-01-02", "2025-03-26")
    (years,) = covered([YEARS])
    assert (years.start.isoformat(), years.end.isoformat()) == ("2024-01-01", "2026-12-31")
    assert covered(["Error: term must be 12-360 months", "Error: bad date 2025-02-30"]) == []


HOLIDAYS = '''
def public_holidays(country: str, year: int) -> dict:
    """The public holidays of a country in a year.

    Args:
        country: ISO 3166-1 alpha-2 code.
        year: The year.
    """
    if not 2024 <= year <= 2026:
        raise ValueError(f"No holiday data for {year}; available years: 2024-2026")
    return {"country": country, "year": year, "holidays": [{"name": "New Year's Day"}]}
'''


def _call(year: int) -> str:
    return (
        "Thought: look it up\nAction: public_holidays\n"
        f'Action Input: {{"country": "DE", "year": {year}}}'
    )


async def test_a_request_outside_what_the_tool_covers_is_asked_again(tmp_path):
    toolbox = tmp_path / "holidays.py"
    toolbox.write_text(HOLIDAYS)
    tools = load_tools(str(toolbox))
    model = Explorer(
        imagine_first=["User Query: The public holidays in Germany in 2027?"],
        imagine_next=["User Query: The public holidays in France in 2028?"],
        imagine_retry=["User Query: The public holidays in France in 2025?"],
    )
    model.overrides["try"] = [_call(2027), _call(2025)]
    model.overrides["observation"] = [
        "Thought: no data\nFinal Answer: There is no data for 2027.",
        "Thought: I now know the final answer\nFinal Answer: New Year's Day.",
    ]
    run_dir = await run(model, tools, tmp_path, episodes=1, trials=2)
    queries = [t["query"] for t in trials_of(run_dir)]
    assert queries == [
        "The public holidays in Germany in 2027?",
        "The public holidays in France in 2025?",
    ]
    retry = next(r for r in model.requests if model.stage(r["messages"]) == "imagine_retry")
    told = retry["messages"][-1]["content"]
    assert '"2028" is outside what it covers' in told and "available years: 2024-2026" in told


async def test_a_request_still_outside_after_it_was_asked_again_is_tried_moved_inside(tmp_path):
    toolbox = tmp_path / "holidays.py"
    toolbox.write_text(HOLIDAYS)
    model = Explorer(
        imagine_first=["User Query: The public holidays in Germany in 2027?"],
        imagine_next=["User Query: The public holidays in France in 2028?"],
        imagine_retry=["User Query: The public holidays in Spain in 2029?"],
    )
    model.overrides["try"] = [_call(2027), _call(2026)]
    model.overrides["observation"] = [
        "Thought: no data\nFinal Answer: There is no data.",
        "Thought: I now know the final answer\nFinal Answer: New Year's Day.",
    ]
    run_dir = await run(model, load_tools(str(toolbox)), tmp_path, episodes=1, trials=2)
    first, second = trials_of(run_dir)
    assert first["query"] == "The public holidays in Germany in 2027?"
    # the last request asked, its year moved into those the tool said it covers
    assert second["query"] == "The public holidays in Spain in 2026?"
    assert second["call_succeeded"]
