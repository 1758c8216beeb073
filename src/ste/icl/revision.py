"""Which call stands when the model, shown a tool's notes, writes its call again.

Asked again with the notes of the tool it called (`--notes-for chosen` or `checked`), a 1.5B
model fixes forms the notes teach ('JP' -> 'JPN', '°C' -> 'degC'), but it also rewrites
what nothing in the notes is about: a holiday question sent to the date tool instead, a
right 'FR' made 'FRA' by another tool's code system, a loan's `term_months=360` made 30 by a
note quoting a wrong first call. The notes are evidence for a change, so a change stands
only where evidence supports it:

- the call written again is of the same tool (the notes were that tool's) and is a call;
- it fails no check a call can be judged by before it runs (`BEFORE_RUNNING`: the schema,
  the request's numbers, units and scales, its dates and times, codes of the length the
  tool's examples show) that the first call passed,
  or it does once the optional arguments it added are taken out;
- each string value it changed is named by the notes, the tool's own description, or the
  request; else the first call's value is put back (as `numbers_kept` puts back numbers);
- a flag it set that the first call did not, and the request does not name, is taken out
  (`flags_kept`): asked again with a recipe tool's notes ("vegetarian=true works"), a 1.5B
  model added `vegetarian=true` to "Which recipes use eggplant?", 14 times in the dev runs
  of two sessions, never to a request that asked for it.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from ste.agent.trajectory import CallRecord
from ste.checks.arguments import enums_as_asked, grounded, mentions
from ste.checks.code_forms import codes_as_shown
from ste.checks.literals import dates_passed
from ste.checks.options import names_in
from ste.checks.owners import numbers_to_their_parameters
from ste.checks.scales import bounds_as_asked, scaled_as_described, units_as_asked
from ste.checks.times import times_as_asked
from ste.checks.unit_codes import unit_codes_as_asked
from ste.checks.verdict import Check
from ste.icl.check import numbers_kept
from ste.records import Step, Trial
from ste.tools.execute import validation_errors
from ste.tools.tool import Tool

# the rule checks that judge a call against the request alone, before it runs
BEFORE_RUNNING: tuple[Callable[[Trial, Tool], Check], ...] = (
    grounded,
    scaled_as_described,
    units_as_asked,
    numbers_to_their_parameters,
    lambda trial, _tool: unit_codes_as_asked(trial),
    bounds_as_asked,
    enums_as_asked,
    dates_passed,
    lambda trial, _tool: times_as_asked(trial),
    codes_as_shown,
)


def failed_checks(call: CallRecord, query: str, tool: Tool) -> list[Check]:
    """The checks `call` fails before it runs, for `query`, each with its reason."""
    step = Step(raw="", call=call, observation="", tool_ok=True)
    trial = Trial(id=f"{tool.name}/e0/t0", tool=tool.name, episode=0, trial=0, seed=0)
    trial.query, trial.steps = query, [step]
    failed = [check for rule in BEFORE_RUNNING if not (check := rule(trial, tool)).ok]
    if errors := validation_errors(tool, call.arguments):
        failed.append(Check("arguments_valid", False, "; ".join(errors)))
    return failed


def failing(call: CallRecord, query: str, tool: Tool) -> set[str]:
    """The names of the checks `call` fails before it runs, for `query`."""
    return {check.name for check in failed_checks(call, query, tool)}


def _words(text: str) -> set[str]:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    return {w for w in re.split(r"[^a-z0-9]+", folded) if len(w) >= 3 and not w.isdigit()}


_QUOTED = (re.compile(r"'([^'\n]{1,40})'"), re.compile(r'"([^"\n]{1,40})"'))


def shape(value: str) -> str:
    """A value's form: 'DEU' -> 'AAA', 'de' -> 'aa', '2025-03-01' -> '9999-99-99'."""
    return re.sub(r"[A-Z]", "A", re.sub(r"[a-z]", "a", re.sub(r"[0-9]", "9", value)))


def supported(value: str, evidence: str, first: str) -> bool:
    """Whether `evidence` supports `value` in place of `first`: it names it whole ('JPN' in
    "e.g. 'FRA', 'JPN'") or one of its words ('America/Sao_Paulo' for a request about São
    Paulo), or quotes values of its form and none of `first`'s ('DEU' for 'DE' beside
    "an alpha-3 code, e.g. 'FRA'")."""
    if mentions(evidence, value) or _words(value) & _words(evidence):
        return True
    forms = {shape(quoted) for pattern in _QUOTED for quoted in pattern.findall(evidence)}
    return shape(value) in forms and shape(first) not in forms


def _described(tool: Tool) -> str:
    """What the tool says of itself: its description, its parameters' and their choices."""
    lines = [tool.description]
    for name, schema in tool.parameters.get("properties", {}).items():
        choices = [f"'{c}'" for c in schema.get("enum", []) if isinstance(c, str)]
        lines.append(f"{name}: {schema.get('description', '')} {' '.join(choices)}")
    return "\n".join(lines)


def flags_kept(before: CallRecord, after: CallRecord, query: str, tool: Tool) -> CallRecord:
    """`after` without the optional flags (booleans other than their default) it sets and
    `before` does not, where the request does not name them (`names_in`)."""
    properties = tool.parameters.get("properties", {})
    required = set(tool.parameters.get("required", []))
    added = [
        name
        for name, value in after.arguments.items()
        if isinstance(value, bool)
        and name not in required
        and value != properties.get(name, {}).get("default")
        and before.arguments.get(name) != value
        and not names_in(query, name)
    ]
    if not added:
        return after
    kept = {name: value for name, value in after.arguments.items() if name not in added}
    return CallRecord(name=after.name, arguments=kept)


def revision_kept(
    before: CallRecord, after: CallRecord | None, query: str, tool: Tool, notes: str
) -> CallRecord:
    """The call that stands: `after` (written again with `notes`, the tool's) where the
    evidence supports its changes, else `before` or `before`'s values (see the module)."""
    if after is None or after.name != before.name:
        return before
    after = flags_kept(before, numbers_kept(before, after, query), query, tool)
    failed_before = failing(before, query, tool)
    if failing(after, query, tool) - failed_before:
        # the optional arguments it added may be what fails (a precision nobody asked for)
        required = set(tool.parameters.get("required", []))
        added = [n for n in after.arguments if n not in before.arguments and n not in required]
        arguments = {n: v for n, v in after.arguments.items() if n not in added}
        after = CallRecord(name=after.name, arguments=arguments)
        if not added or failing(after, query, tool) - failed_before:
            return before
    evidence = "\n".join([notes, _described(tool), query])
    arguments = dict(after.arguments)
    for name, value in after.arguments.items():
        first = before.arguments.get(name)
        changed = isinstance(value, str) and first is not None and value != first
        if changed and not supported(value, evidence, first):
            arguments[name] = first
    if arguments == after.arguments:
        return after
    return CallRecord(name=after.name, arguments=arguments)
