"""numbers_to_their_parameters: a number the request gives by one parameter's words ("a
down payment of $50,000") is not passed to another (`amount=50000`)."""

import pytest

from ste.checks.owners import numbers_to_their_parameters
from ste.tools.tool import Tool
from test_distill import step, trial

LOAN = Tool(
    "loan",
    "Monthly payment of a loan.",
    {
        "type": "object",
        "properties": {
            "amount": {"type": "number"},
            "annual_rate": {"type": "number"},
            "term_months": {"type": "integer"},
            "down_payment": {"type": ["number", "null"]},
            "extra_monthly": {"anyOf": [{"type": "number"}, {"type": "null"}]},
        },
    },
    lambda **_: {},
)


def _check(query: str, **arguments):
    call = step("loan", arguments, '{"monthly_payment": 253.34}', True)
    return numbers_to_their_parameters(trial([call], query=query, tool="loan"), LOAN)


@pytest.mark.parametrize(
    ("query", "arguments", "ok"),
    [
        (  # no amount given: the down payment passed as it
            "A 30-year mortgage at 4.5% with a down payment of $50,000?",
            {"amount": 50000, "annual_rate": 4.5, "term_months": 360, "down_payment": 0},
            False,
        ),
        (  # the extra monthly payment passed as the down payment
            "A $80,000 loan at 3.65% over 144 months with an extra monthly payment of $450?",
            {"amount": 80000, "annual_rate": 3.65, "term_months": 144, "down_payment": 450},
            False,
        ),
        (
            "A $80,000 loan at 3.65% over 144 months with an extra monthly payment of $450?",
            {"amount": 80000, "annual_rate": 3.65, "term_months": 144, "extra_monthly": 450},
            True,
        ),
        (  # "payments" alone names no down payment: every word of a name is needed
            "The monthly payments for a $100,000 mortgage at 3.5% over 360 months?",
            {"amount": 100000, "annual_rate": 3.5, "term_months": 360},
            True,
        ),
        (  # a number's own unit names the parameter it is passed to
            "A loan at an annual rate of 360 over 360 months?",
            {"amount": 1, "annual_rate": 5, "term_months": 360},
            True,
        ),
        (  # the words after a number are its own: "4.5% annual rate" names no 20
            "A $100,000 mortgage with a 4.5% annual rate over a 20-year period?",
            {"amount": 100000, "annual_rate": 4.5, "term_months": 20},
            True,
        ),
        (  # a number given twice: which mention is which is not known
            "A 25-year loan of $100,000 at 5% with a down payment of 25?",
            {"amount": 100000, "annual_rate": 5, "term_months": 25, "down_payment": 0},
            True,
        ),
    ],
)
def test_a_number_the_request_gives_for_one_parameter_is_not_passed_to_another(
    query, arguments, ok
):
    check = _check(query, **arguments)
    assert check.ok is ok, check
    if not ok:
        assert "not as" in check.reason


def test_the_reason_names_both_parameters():
    check = _check(
        "A 30-year mortgage at 4.5% with a down payment of $50,000?",
        amount=50000,
        annual_rate=4.5,
        term_months=360,
    )
    assert check.reason == "amount=50000: the request gives $50,000 as down_payment, not as amount"
