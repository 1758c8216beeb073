"""The call checked against the request before it runs (`ste eval --check-call`).

ste's rule checks that judge a call against the request alone (`BEFORE_RUNNING` of
`ste.icl.revision`: numbers from the request, units and scales as it says them, its dates
and times, the schema) were written from what practice got wrong; they say precisely what
is wrong ("term_months=30: the request says '30 years' and term_months takes months (30
years is 360 months)"). Of the 1.5B model's 88 right calls on the 120 dev items with
dev-exp13's demonstrations and notes none failed one; 8 of its 30 wrong ones did (5 loan
terms in years passed as months). So a call that fails one is shown the reasons and asked
for once more, and the call written again stands only if it fails fewer of those checks
and none that the first passed (`fix_kept`); else the first stands.
"""

from __future__ import annotations

import json

from ste.agent.loop import TurnSettings
from ste.agent.trajectory import CallRecord, Trajectory
from ste.checks.verdict import fixes
from ste.icl.check import asked_again
from ste.icl.revision import failed_checks, failing
from ste.models.base import ChatModel
from ste.prompts import render
from ste.tools.tool import Tool


def fix_kept(before: CallRecord, after: CallRecord | None, query: str, tool: Tool) -> CallRecord:
    """`after` where it is a call of the same tool failing fewer of the checks `before`
    failed and none it passed; else `before`."""
    if after is None or after.name != before.name:
        return before
    return after if failing(after, query, tool) < failing(before, query, tool) else before


async def request_checked(
    model: ChatModel,
    protocol: str,
    tools: list[Tool],
    conversation: Trajectory,
    call: CallRecord,
    query: str,
    settings: TurnSettings,
) -> tuple[CallRecord, Trajectory | None]:
    """The call that stands after `call` (the reply ending `conversation`) is checked
    against `query`, and the trajectory of the reply asked for (None: nothing failed)."""
    by_name = {t.name: t for t in tools}
    if call.name not in by_name:
        return call, None
    failed = failed_checks(call, query, by_name[call.name])
    if not failed:
        return call, None
    reasons = "\n".join(f"- {check.reason}" for check in failed)
    shown = json.dumps(call.arguments, ensure_ascii=False)
    prompt = render("icl_request_check", tool=call.name, call=shown, reasons=reasons)
    if fixed_values := fixes(failed):
        fixed = json.dumps({**call.arguments, **fixed_values}, ensure_ascii=False)
        prompt += "\n" + render("check_fixed_call", arguments=fixed)
    again = await asked_again(model, protocol, tools, conversation, prompt, settings)
    return fix_kept(call, again.first_call, query, by_name[call.name]), again
