"""Every number a request gives goes into the expression computed for it."""

import pytest

from ste.checks.expressions import expression_numbers_used
from test_distill import step, trial


@pytest.mark.parametrize(
    ("query", "arguments", "ok"),
    [
        # a step left out: the tool's result is right for the expression, wrong for the request
        ("Compute (3 + 2) * (5 - 3) and then add 2.", {"expression": "(3 + 2) * (5 - 3)"}, False),
        ("The square root of 16, then add 3.", {"expression": "(2**4) + 3"}, False),
        # every number used, as written or converted, in any order
        ("Compute (3 + 2) * (5 - 3) and then add 2.", {"expression": "(3+2)*(5-3)+2"}, True),
        ("What is 17.5% of 2,340?", {"expression": "2340 * 0.175"}, True),
        ("The product of the squares of 2, 3 and 4.", {"expression": "2**2 * 3**2 * 4**2"}, True),
        ("What's the sine of 30 degrees?", {"expression": "sin(radians(30))"}, True),
        # no expression: identifiers with digits and dashes or slashes are not arithmetic
        ("Is ISBN 0-262-03384-4 valid? It has 10 digits.", {"isbn": "0-262-03384-4"}, True),
        ("The broadcast of 10.20.0.0/22 with mask 255.255.252.0?", {"cidr": "10.20.0.0/22"}, True),
        # a number passed as a number argument is used
        ("Round (2 + 3) / 7 to 3 places.", {"expression": "(2 + 3) / 7", "precision": 3}, True),
        # a number inside a quoted text is the text's
        ("My note says 'buy 12 eggs'; what is 2 + 2?", {"expression": "2 + 2"}, True),
    ],
)
def test_every_number_the_request_gives_is_in_the_expression(query, arguments, ok):
    call = step("calculate", arguments, '{"result": 1}', True)
    check = expression_numbers_used(trial([call], query=query, tool="calculate"))
    assert check.ok is ok, check.reason


def test_a_later_call_may_use_an_earlier_result():
    first = step("calculate", {"expression": "(3 + 2) * (5 - 3)"}, '{"result": 10}', True)
    then = step("calculate", {"expression": "10 + 2"}, '{"result": 12}', True)
    query = "Compute (3 + 2) * (5 - 3) and then add 2."
    assert expression_numbers_used(trial([first, then], query=query)).ok
