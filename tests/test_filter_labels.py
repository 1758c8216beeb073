"""The distillation filter against trials labelled by hand: a regression test of its quality.

`data/labelled_trials.jsonl` holds trials of a real exploration (Qwen2.5-Coder-1.5B on a
12-tool development toolbox, 3 episodes x 3 trials; the others, marked with their `source`,
from later ones: 4 added with the rules they exposed, then 70 and 108 labelled before the
rules' verdicts on them were read, then 20 of the bundled tools, 80 of another dev
exploration, 108 of each of eight more, 102 of a ninth and 90 of the bundled tools), each
labelled by hand as a right or wrong example to learn from, with the reason;
`data/labelled_tools.json` the tools as the model saw them.
The rule checks (`ste.checks.rules.rule_checks`, no judge, no re-execution: both need a model or the
tools' code) are scored here as a classifier of "kept": precision (kept examples that are
right) and recall (right examples kept). The first 65 trials were read while the rules
were written; the rest were labelled after, with the rules frozen, and are reported apart
as the held-out part.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ste.checks.rules import rule_checks
from ste.records import Trial
from ste.tools.tool import described_tool

DATA = Path(__file__).parent / "data"
BEFORE = {"finished", "call_succeeded", "arguments_valid", "reflection"}  # the checks of old


def _scores(rows: list[tuple[bool, bool]]) -> tuple[float, float, int]:
    kept = [right for right, keep in rows if keep]
    right = sum(r for r, _ in rows)
    precision = sum(kept) / len(kept) if kept else 0.0
    return precision, (sum(kept) / right if right else 0.0), len(kept)


@pytest.fixture(scope="module")
def verdicts() -> list[dict]:
    tools = {
        name: described_tool(spec)
        for name, spec in json.loads((DATA / "labelled_tools.json").read_text()).items()
    }
    rows = []
    for line in (DATA / "labelled_trials.jsonl").read_text().splitlines():
        record = json.loads(line)
        trial = Trial.read(record["trial"])
        checks = rule_checks(trial, tools[trial.tool], require_reflection=True)
        rows.append(
            {
                "right": record["right"],
                "held_out": record["held_out"],
                "before": all(c.ok for c in checks if c.name in BEFORE),
                "after": all(c.ok for c in checks),
            }
        )
    return rows


def test_the_sample_is_large_enough_and_labelled_both_ways(verdicts):
    assert len(verdicts) >= 80
    assert 0 < sum(v["right"] for v in verdicts) < len(verdicts)


@pytest.mark.parametrize("part", ["all", "held_out"])
def test_the_rules_keep_examples_more_precisely_than_before_without_losing_recall(verdicts, part):
    rows = [v for v in verdicts if part == "all" or v["held_out"]]
    before = _scores([(v["right"], v["before"]) for v in rows])
    after = _scores([(v["right"], v["after"]) for v in rows])
    print(f"{part}: before precision {before[0]:.2f} recall {before[1]:.2f} kept {before[2]}")
    print(f"{part}: after  precision {after[0]:.2f} recall {after[1]:.2f} kept {after[2]}")
    assert after[0] > before[0]
    assert after[0] >= FLOORS[part]["precision"] and after[1] >= FLOORS[part]["recall"]


# what the rules scored (a regression drops below the floors):
# 2026-12-02, all 108: before precision 0.28 (22/79) recall 1.00, after 0.57 (21/37) recall
# 0.95; held out 43: before 0.10 (3/29) recall 1.00, after 0.18 (2/11) recall 0.67. Then one
# false rejection seen in the held-out part was fixed (a description's quoted examples,
# "e.g. 'Paris'", taken for enum choices): all 0.56 (22/39) recall 1.00, held out 0.23
# (3/13) recall 1.00 (no longer a clean held-out figure).
# 2026-12-03, with the argument checks of `ste.checks.arguments` (choices named by their
# glosses, every choice asked for passed, a value the request names not swapped after an
# error, long content from the request) and refusals as queries: all 0.81 (22/27) recall
# 1.00, held out 0.75 (3/4) recall 1.00. The 5 still kept wrongly need world knowledge
# (the largest country is not China) or a reading of the request no rule makes.
# 2026-12-04, a qualifier the request does not give, chosen among the candidates the tool
# offered for an ambiguous value ('London' -> 'London, CA'), is a doubt: all 0.85 (22/26)
# recall 1.00. The 4 left: the largest country, the largest island, and two date_calc
# requests that contradict themselves (business days "including weekends").
# 2026-12-04 (later), a request that asks by a superlative ("the largest country") answered
# by a call on an entity neither it nor the result names (`ste.checks.entities`): all 0.92
# (22/24) recall 1.00, held out 1.00 (3/3). The 2 left: the date_calc requests above.
# 2026-12-05, an optional choice or flag the request does not name (`ste.checks.options`) is
# a doubt: all 0.95 (20/21) recall 0.91, held out 1.00 (3/3) recall 1.00. It rejects
# day_type='business' for "considering only weekends" and, wrongly, for "excluding
# weekends" (twice: no rule reads 'Monday to Friday' as "excluding weekends"). Left: the
# request that contradicts itself (business days "including weekends", inclusive=true).
# 2026-12-05 (later), 70 trials of a new dev exploration (8 tools), labelled before the
# rules' verdicts were read, added as held out: on them the rules kept 20, precision 0.65
# (13/20), recall 0.93; then a date the answer states that no result holds was made
# unfaithful (one of them): 0.68 (13/19). All 182: 0.82 (33/40) recall 0.92; held out
# 113: 0.73 (16/22) recall 0.94. The 6 still kept wrongly need a reading no rule makes (an
# expression "5" for an average of squares, a country the request never named, a list of
# top words the result does not hold but the request's own text does).
# 2026-12-05 (end of day), 108 trials of a dev exploration with the review (dev-exp7, all 12
# tools), labelled before the rules' verdicts on them were read, added as held out: the
# rules kept 39, precision 0.51 (20/39), recall 0.95; then a failed call's arguments no
# longer support an answer (a date the call was refused for): 0.53 (20/38). All 290: 0.71
# (53/75) recall 0.93; held out 221: 0.63 (36/57) recall 0.95. Of the 18 still kept
# wrongly, 9 are requests no person would write ("the distance between Paris and London by
# 6 hours"), 5 answer part of a request (two foods asked, one answered), 2 give a count
# where the holidays were asked: readings for the judge, which these figures leave out. Then
# a value quoted beside a passed one must be passed too (two foods quoted, one looked up):
# new 0.57 (20/35), all 0.74 (53/72), held out 0.67 (36/54), recall unchanged. The whole
# filter of that run (these rules as of 702dc94, the 1.5B judge, re-execution) kept 36 of
# the 108: precision 0.56 (20/36), recall 0.95: the judge caught 2 more, none of the
# incoherent requests.
# 2026-12-05 (next session), every part of the request used (`ste.checks.parts`): a quantity
# the request states passed or held by a result ("by 6 hours" for a city distance: 9 of
# the 18), a list asked for named in the answer (a count of holidays: 2), no call converting
# a value into itself (from_tz = to_tz for "CST to CDT": 1): the last 108 0.87 (20/23)
# recall 0.95, all 290 0.91 (53/58) recall 0.93, held out 221 0.90 (36/40) recall 0.95. The
# 108 were read while these rules were written: no longer an unseen figure. Left: "feet and
# inches" answered in feet (2), a list of top words the result does not hold, recipes the
# result does not hold, business days "including weekends".
# Then numbers a request gives another way (months by name, "2 million", "45 days before",
# "20% down") and choices it rules out ("not hex"), from the 180 expected calls of the dev
# and bundled test sets, executed: on them the checks that need no answer had failed 16,
# now 4 (3 judge doubts and a prefix computed from a subnet mask); no change here.
# 2026-12-05 (same session), the 20 trials of the bundled tools' quick practice (at
# 8a36f94; other tools than all the above), labelled before the verdicts were read, added as
# held out: that run's filter (rules, re-execution, no judge) kept 10, precision 0.40
# (4/10), recall 0.57: the honest figure on unseen tools. 8 were the helper's voice or
# requests without their content ("please provide the ISBN number", "a given CIDR
# notation") answered with values the model made up. Then the helper's voice, content a
# request only refers to, and identifiers no request or result gave (`identifiers_given`):
# on the 20, 0.67 (4/6); all 310 0.89 (57/64) recall 0.89, held out 241 0.87 (40/46)
# recall 0.89. The 3 right ones dropped: a status code from its phrase ('Not Found' -> 404,
# the model's knowledge: a judge doubt) twice, and a version comparison answered in words.
# 2026-12-05 (same session, end), 80 trials of a new dev exploration (dev-exp8, at b6a8a4b,
# with all of the above; stopped after 10 of the 12 tools for want of time), labelled
# before the verdicts were read: 10 right. The whole filter of that run (these rules, the
# 1.5B judge, re-execution) kept 17, precision 0.53 (9/17), recall 0.90; the rules alone
# the same (the judge rejected none): the honest unseen figure is still about half. Kept
# wrongly: answers that make up what no call returned but the request's own text holds
# (top words, "1 gram of banana per serving", 3+2), names for "information" (2), a date
# answered in another month than the result's. All 390: 0.81 (66/81) recall 0.89; held
# out 321: 0.78 (49/63) recall 0.89.
# 2026-12-05 (a new session), the answer's claims read one by one (`ste.checks.claims`): a
# date written out is a result's month and day, values quoted from inside the request's
# text are no result's, a request for information uses more than one field, a list of one
# record asked for is named: all 390 0.89 (66/74) recall 0.89, held out 0.88 (49/56); on
# the 80 of dev-exp8 (read while writing them: no longer unseen) 0.75 (9/12). Left: "1 gram of
# banana per serving" (3), "feet and inches" answered in feet (2), a file's name hashed, a
# "longer text" the request never gave, business days "including weekends". Then a result
# asked in two units is answered in both ("to feet and inches"): all 0.92 (66/72) recall
# 0.89, held out 0.91 (49/54). And "a longer text", "a specific date" without them are
# content a request only refers to: all 0.93 (66/71), held out 0.92 (49/53); of the 28
# labelled requests such words name, none was right. Then a dotted identifier (a version
# "2.2.10", an address) is no number: "2.2.5 is older than 2.2.10" is faithful, as labelled:
# all 0.93 (67/72) recall 0.91, held out 0.93 (50/54) recall 0.91.
# 2026-12-05 (same session, end), 108 trials of a new dev exploration at another seed
# (dev-exp9, at f8ff73d, with all of the above), labelled before the verdicts were read: 16
# right. The whole filter of that run kept 20, precision 0.60 (12/20), recall 0.75; these
# rules alone 0.59 (13/22), recall 0.81: the honest unseen figure. Kept wrongly: five
# weeks passed as 5 days, "10 + 11" for the sums of the first 10 and 12 numbers, an extra
# payment "in the first month" passed as one every month, a month passed unasked. All 498:
# 0.85 (80/94) recall 0.89. Then a value the request quotes passed in parts ("2026-12-05
# 16:00" as a date and a time) and a refused value replaced by the same words in the
# tool's order ("rice, brown, cooked") no longer reject: all 0.85 (82/96) recall 0.91.
# 2026-12-05 (next session): a number in words with its unit, a month grounded by rounding
# a year, two results asked and one answered, a request asking for its own content: all
# 498 0.89 (82/92) recall 0.91. Then 108 trials of another dev exploration (dev-exp10, seed
# 2, at 316c186), labelled before any verdict was read: 24 right; that run's whole filter
# kept 32, precision 0.66 (21/32), recall 0.88 (the honest unseen figure). All 606, with
# the rules written after (some on these trials): 0.84 (124 kept) recall 0.91.
# 2026-12-05 (a third session): a request about a file the tool cannot read, by its name
# ("example.txt"): all 606 0.85 (122 kept) recall 0.91; held out 0.84 (104) recall 0.92.
# Then a result field the request names and the answer leaves out (five nutrients asked,
# the protein answered): all 0.87 (120 kept) recall 0.91; held out 0.85 (102) recall 0.92.
# Then a number grounded by its own result naming what the request quotes (code=404 for
# 'Not Found'): all 0.87 (122 kept) recall 0.93; held out 0.86 (104) recall 0.94.
# Then 108 trials of a dev exploration at a fourth seed (dev-exp11, seed 3, at e3ba978),
# labelled before any verdict was read: 24 right; that run's whole filter kept 29,
# precision 0.55 (16/29), recall 0.67 (the honest unseen figure); the rules at f5ff7b9 on
# them 0.62 (18/29), recall 0.75. All 714: 0.82 (151 kept) recall 0.90; held out 0.80
# (133) recall 0.90.
# 2026-12-05 (a fourth session): a request for the helper to come up with values, a bare
# statement, a whole number inside a text value that no request gave ("10 / 2"), a 12-hour
# time passed as another (`times_as_asked`): all 714 0.86 (145 kept) recall 0.90. Then 108
# trials of a dev exploration at a fifth seed (dev-exp12, seed 4, at 8fecff4, with the
# restated request), labelled before any verdict was read: 32 right; that run's whole filter
# kept 34, precision 0.68 (23/34), recall 0.72 (the honest unseen figure); the rules at
# the session's end on them 0.79 (26/33), recall 0.81 (some written after reading them).
# All 822: 0.84 (178 kept) recall 0.88; held out 0.83 (160) recall 0.88.
# 2026-12-06 (a fifth session), before a new run: a unit passed as a code the request does
# not name ("3 miles" as from_unit='m'), a refused value in the tool's form ('miles' ->
# 'mi') no swap, the agent's format echoed as a request: all 822 0.84 (176 kept) recall 0.89.
# Then 108 trials of a dev exploration at a sixth seed (dev-exp13, seed 5, at da59f21),
# labelled before any verdict was read: 26 right; the rules at da59f21 on them 0.67 (24/36)
# recall 0.92, at the commit before the next check 0.67 too (the unseen figure). Then every
# number a request gives goes into the expression computed for it ("then add 2" left out:
# 4 of them): on dev-exp13 0.75 (24/32), no longer unseen; all 930 0.84 (175/208) recall
# 0.89; held out 0.83 (158/190) recall 0.89; the 822 before 0.86 (151/176) recall 0.89.
# Then 108 trials of a dev exploration at a seventh seed (dev-exp14, seed 6, at ab1cb5f),
# labelled before any verdict was read: 40 right; the rules (unchanged since) on them 0.78
# (35/45) recall 0.88; all 1038 0.83 (210/253) recall 0.89; held out 0.82 (193/235) 0.89.
# 2026-12-06 (a sixth session): a time of day the answer states comes from a result, a call
# or the request (`times_from_results`: 13 wrong trials, no right one): all 1038 0.84
# (210/251) recall 0.89; held out 0.83 (193/233) recall 0.89. Then a flag every result
# reports false is not stated as holding (`flags_as_results`: "inclusive of both days" for
# `"inclusive": false`, 2 wrong, no right): all 0.84 (210/249); held out 0.84 (193/231).
# Then 108 trials of the dev experiment's exploration (xdev1, seed 0, at fb88f6d), labelled
# before any verdict was read: 30 right; the rules at d4c4a4f (today's above, written before
# the labelling) on them 0.60 (25/42) recall 0.83 (the unseen figure). Then a parameter given
# its value in a call's syntax ("calculate expression='2 + 3'") is no request: on them 0.68
# (25/37), no longer unseen. All 1146: 0.82 (235/286) recall 0.88; held out 0.81 (218/268)
# recall 0.88. Then a number the request gives by one parameter's words is not passed to
# another ("a down payment of $50,000" as `amount`: 12 wrong, no right): on xdev1 0.74
# (25/34); all 0.83 (235/283) recall 0.88; held out 0.82 (218/265) recall 0.88.
# Then 108 trials of the next dev experiment's exploration (xdev2, seed 0, at aca6932),
# labelled before any verdict was read: 38 right; the rules at aca6932 on them 0.70 (32/46)
# recall 0.84 (the unseen figure); all 1254 0.81 (267/329) recall 0.88; held out 0.80
# (250/311) recall 0.88. Then a one-word value of an optional free-text parameter that
# neither the request nor an earlier result says (ingredient='garlic', unasked: 13 wrong
# trials, no right one, 3 of them kept before) and a quoted value joined from a result's
# values ("16:30 UTC", "2026-12-06 21:15:00": 2 right ones kept): on xdev2 0.74 (34/46)
# recall 0.89, no longer unseen; all 0.82 (269/328) recall 0.89; held out 0.81 (252/310)
# recall 0.88. Then a value under a form's label ("Expression: '(1 + 4) / 2 * 2'") is no
# request (4 wrong, no right): all 0.83 (269/326); held out 0.82 (252/308). Then a value
# the request names that a call moves to another parameter is not replaced (from Paris to
# London, GB after 'London' was ambiguous: 1 right kept): all 0.83 (270/327) recall 0.89;
# held out 0.82 (253/309) recall 0.89. Then a result asked in one length or mass unit is
# not answered only in another ("in miles squared": square kilometers; 7 wrong, no right):
# all 0.83 (270/326); held out 0.82 (253/308).
# 2026-12-06 (a seventh session), 102 trials of the dev experiment's exploration (xdev3, seed
# 0, at da65d9a, with the values used again named to the explorer), labelled blind to every
# verdict: 37 right; the rules at da65d9a on them 0.67 (32/48) recall 0.86 (32/37): the
# unseen figure. Kept wrongly: answers that add to or garble a listed result (weekdays of
# holidays, a recipe listed twice), extra ingredients asked and left out of the call, a
# total cost answered by the interest, 25% down passed as 0.25, requests in the helper's
# voice. All 1356: 0.81 (302/374) recall 0.89; held out 0.80 (285/356) recall 0.89. Then the
# helper asking for its input ("... and the metric for me to compute": 2 wrong, no right):
# all 0.81 (302/372); held out 0.81 (285/354). Then each record of a listed result that the
# answer names has its own attributes (`ste.checks.records`: "All Saints' Day (Saturday)"
# for a Sunday; 10 wrong, no right, 3 of them kept before): all 0.82 (302/369) recall 0.89;
# held out 0.81 (285/351). Then the first of a list passed alone ("include garlic, onions,
# and bell peppers" searched by garlic: 3 wrong, no right): all 0.83 (302/366) recall 0.89;
# held out 0.82 (285/348). Then sentences that state and ask nothing ("Hello world! This is
# a test text."): all 0.83 (302/365) recall 0.89; held out 0.82 (285/347). Then a percentage
# passed as its fraction to an amount ("25% down" as down_payment=0.25; 5 wrong, no right):
# all 0.83 (302/363) recall 0.89; held out 0.82 (285/345).
# 2026-12-07 (an eighth session), 90 trials of the bundled experiment's exploration
# (xbundled5, seed 0, at d86f41f), labelled blind to every verdict by a helper: 25 right;
# that run's whole filter kept 35, 19 right as labelled (21 with the two whose request was
# asked again and became right): precision 0.54 (0.60), recall 0.76: the unseen figure, on
# tools the rules were little written on. The rules at d86f41f on them: 0.54 (21/39),
# recall 0.84. All 1446: 0.80 (323/402) recall 0.88. Then four checks read from them, each
# rejecting only wrong labelled trials: a digest, address or encoding the answer writes
# that no result holds (`ste.outcome.copied_codes`: one hex digit swapped), content the
# model made up for a content parameter (`ste.checks.content`: "encode a string" with no
# string given; 57 wrong), an answer that speaks of the tool's parameters ("version_b is
# later than version_a"; 27 wrong), a request under a template's label ("User input:";
# 3 wrong): on the 90 0.70 (21/30) recall 0.84; all 0.82 (323/393) recall 0.88; held out
# 0.82 (306/375) recall 0.88. Then numbers listed with their names, each a whole number of
# as many digits ("400 Bad Request, 500 ..., and 301 ..." looked up by 400 alone), the
# helper asking the user to enter a value ("..., please enter the Unix epoch timestamp";
# 6 wrong), an answer that only repeats a value the call passed (4 wrong): on the 90 0.81
# (21/26) recall 0.84; all 0.83 (323/389) recall 0.88; held out 0.83 (306/371) recall 0.88.
FLOORS = {
    "all": {"precision": 0.80, "recall": 0.88},
    "held_out": {"precision": 0.78, "recall": 0.88},
}
