"""Score a ToolBench-50 prediction file exactly as the STE paper does.

ToolBench-50 is the STE paper's test set: 50 APIs, 15 queries each. A prediction file is
{API name: [items]}; each item holds the gold call (the key and `action_input`, a JSON string)
and the model's raw ReAct reply (`model_output`). Only the first call of a reply is scored:

- well-formed % = well-formed replies / all items;
- API match %   = replies calling the gold API / well-formed replies;
- correct %     = replies calling the gold API with right arguments / all items.

Arguments of the string-match APIs (string_match_APIs.json) are compared key by key; for the
others an LLM judge decides, whose verdicts the paper cached in each item's `args_correct`.
"""

from __future__ import annotations

import asyncio
import difflib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ste.errors import SteError
from ste.eval.judge import judge_arguments
from ste.models.base import ChatModel

Judge = Callable[[dict, dict], "bool | tuple[bool, str]"]
"""(prediction item, predicted arguments) -> are the arguments right? (optionally with why)"""

NO_CALL = "no call: Final Answer without Action Input"


@dataclass
class ItemScore:
    """The verdict on one prediction."""

    api: str  # the gold API
    index: int  # position in the file's list for that API
    well_formed: bool
    no_call: bool
    predicted_api: str | None
    predicted_args: dict | None
    api_match: bool
    correct: bool
    reason: str


@dataclass
class ToolBenchScores:
    """Headline percentages over all items, plus every item's verdict."""

    items: list[ItemScore]
    n: int
    well_formed: float
    api_match: float
    correct: float

    @classmethod
    def from_items(cls, items: list[ItemScore]) -> ToolBenchScores:
        rates = _rates(items)
        return cls(items, len(items), rates["well_formed"], rates["api_match"], rates["correct"])

    def per_api(self) -> dict[str, dict[str, float]]:
        """{API: {"n", "well_formed", "api_match", "correct"}}, in file order."""
        groups: dict[str, list[ItemScore]] = {}
        for item in self.items:
            groups.setdefault(item.api, []).append(item)
        return {api: {"n": len(group), **_rates(group)} for api, group in groups.items()}


def _rates(items: list[ItemScore]) -> dict[str, float]:
    well_formed = sum(item.well_formed for item in items)
    return {
        "well_formed": _percent(well_formed, len(items)),
        "api_match": _percent(sum(item.api_match for item in items), well_formed),
        "correct": _percent(sum(item.correct for item in items), len(items)),
    }


def _percent(part: int, whole: int) -> float:
    return 100 * part / whole if whole else 0.0


# --- parsing -------------------------------------------------------------------------------


def parse_paper_react(
    model_output: str, api_names: list[str]
) -> tuple[str | None, dict | None, str]:
    """Read the first call of a ReAct reply as the paper does: (api, args, reason).

    `api` is None when the reply is not well-formed; `reason` then says why (it is `NO_CALL`
    for a reply that answers without calling). The paper's parser is strict: the text before
    the first "Final Answer:" must hold exactly one "Action:" and one "Action Input:".
    """
    text = model_output.strip()
    if "Final Answer:" in text:
        # Whatever follows the first final answer is ignored, later calls included.
        text = text.split("Final Answer:")[0].strip()
        if "Action Input:" not in text:
            return None, None, NO_CALL
    if text.count("Action Input:") != 1:
        found = "no" if "Action Input:" not in text else "more than one"
        return None, None, f"{found} 'Action Input:'"
    head, raw_args = text.split("Action Input:")
    head = _strip(head)
    if head.count("Action:") != 1:
        found = "no" if "Action:" not in head else "more than one"
        return None, None, f"{found} 'Action:' before 'Action Input:'"

    name = _strip(head.split("Action:")[1]).replace("<tool_", "").strip("<>")
    if name not in api_names:
        closest = difflib.get_close_matches(name, api_names, n=1, cutoff=0.001)
        if not closest:
            return None, None, f"action {name!r} resembles no API"
        name = closest[0]

    args_text = _braced(_strip(raw_args))
    if args_text is None:
        return None, None, "Action Input has no {...}"
    try:
        args = json.loads(args_text)
    except json.JSONDecodeError as error:
        return None, None, f"Action Input is not valid JSON ({error.msg})"
    return name, args, "ok"


def _strip(text: str) -> str:
    """Strip whitespace and trailing literal backslash-n pairs (the paper's `strip_end`)."""
    text = text.strip()
    while text.endswith("\\n"):
        text = text[:-2]
    return text.strip()


def _braced(text: str) -> str | None:
    """The text from the first "{" to the last "}", with its outer braces collapsed to one.

    Taking up to the *last* "}" means any later text with braces (an invented Observation)
    is swallowed and spoils the JSON. Collapsing "{{...}}" to "{...}" rescues doubled braces
    copied from the prompt, but also eats the closing brace of a nested object at the end;
    both are the paper's behaviour and kept for fidelity.
    """
    start, end = text.find("{"), text.rfind("}")
    if start == -1 or end <= start:
        return None
    return "{" + text[start : end + 1].strip("{}") + "}"


# --- argument checks -----------------------------------------------------------------------


def string_match(gold: dict, predicted: dict) -> bool:
    """Every gold key is predicted, with the same value after str/strip/lower."""
    return _first_mismatch(gold, predicted) is None


def _first_mismatch(gold: dict, predicted: dict) -> str | None:
    for key, value in gold.items():
        if key not in predicted:
            return f"argument {key!r} missing"
        if _normalise(predicted[key]) != _normalise(value):
            return f"argument {key!r} is {predicted[key]!r}, expected {value!r}"
    return None


def _normalise(value: Any) -> str:
    return str(value).strip().lower()


# --- scoring -------------------------------------------------------------------------------


def score_prediction_file(
    predictions: Path,
    data_dir: Path | None = None,
    judge: Judge | None = None,
    *,
    trust_cached: bool = False,
) -> ToolBenchScores:
    """Score a prediction file against the API list and string-match list in `data_dir`.

    `data_dir` defaults to the prediction file's folder. `judge`, when given, decides the
    arguments of the APIs that are not string-matched instead of the cached `args_correct`.

    `trust_cached` also takes the cached `args_correct` of string-match APIs instead of
    recomputing it, which is how the paper printed its figures: on mistral_predictions.json
    4 cached verdicts disagree with the string-match rule, so correct % is 30.133 with
    `trust_cached` and 30.4 without.
    """
    predictions = Path(predictions)
    data_dir = predictions.parent if data_dir is None else Path(data_dir)
    api_names = _load_names(data_dir / "API_list.json")
    string_match_apis = set(_load_names(data_dir / "string_match_APIs.json"))
    by_api = _load_predictions(predictions, api_names)
    scores = [
        _score_item(api, index, item, api_names, api in string_match_apis, judge, trust_cached)
        for api, items in by_api.items()
        for index, item in enumerate(items)
    ]
    return ToolBenchScores.from_items(scores)


def _score_item(
    api: str,
    index: int,
    item: dict,
    api_names: list[str],
    by_string_match: bool,
    judge: Judge | None,
    trust_cached: bool,
) -> ItemScore:
    predicted_api, args, reason = parse_paper_react(item["model_output"], api_names)
    if predicted_api is None or args is None:
        return ItemScore(api, index, False, reason == NO_CALL, None, None, False, False, reason)
    if predicted_api != api:
        reason = f"called {predicted_api!r}, expected {api!r}"
        return ItemScore(api, index, True, False, predicted_api, args, False, False, reason)
    correct, reason = _check_args(item, args, by_string_match, judge, trust_cached)
    return ItemScore(api, index, True, False, predicted_api, args, True, correct, reason)


def _check_args(
    item: dict, args: dict, by_string_match: bool, judge: Judge | None, trust_cached: bool
) -> tuple[bool, str]:
    """Are the predicted arguments of the gold API right? (verdict, reason)"""
    cached = item.get("args_correct")
    if by_string_match and not (trust_cached and cached is not None):
        mismatch = _first_mismatch(json.loads(item["action_input"]), args)
        return mismatch is None, mismatch or "arguments match"
    if judge is not None and not by_string_match:
        result = judge(item, args)
        verdict, why = result if isinstance(result, tuple) else (bool(result), "")
        return verdict, f"judge: arguments {_right_or_wrong(verdict)}" + (
            f" ({why})" if why else ""
        )
    if cached is None:
        return False, "no cached args_correct verdict and no judge"
    return bool(cached), f"cached verdict: arguments {_right_or_wrong(cached)}"


def _right_or_wrong(verdict: object) -> str:
    return "right" if verdict else "wrong"


# --- judging anew --------------------------------------------------------------------------


def calls_to_judge(predictions: Path, data_dir: Path | None = None) -> list[tuple[dict, dict]]:
    """(item, predicted arguments) of every API-matched call that the judge decides."""
    wanted: list[tuple[dict, dict]] = []

    def record(item: dict, args: dict) -> bool:
        wanted.append((item, args))
        return False

    score_prediction_file(predictions, data_dir, judge=record)
    return wanted


def _judge_key(item: dict, args: dict) -> str:
    return json.dumps([item.get("query"), item["action_input"], args], sort_keys=True)


async def judge_anew(
    model: ChatModel,
    predictions: Path,
    data_dir: Path | None = None,
    *,
    concurrency: int = 1,
    on_judged: Callable[[], None] | None = None,
) -> tuple[Judge, int]:
    """Have `model` judge every call the paper sent to its judge: (judge for scoring, count)."""
    pending = calls_to_judge(predictions, data_dir)
    verdicts: dict[str, tuple[bool, str]] = {}
    semaphore = asyncio.Semaphore(max(1, concurrency))

    async def one(item: dict, args: dict) -> None:
        async with semaphore:
            gold = json.loads(item["action_input"])
            api = item.get("action") or ""
            judgment = await judge_arguments(model, item.get("query", ""), api, gold, args)
        verdicts[_judge_key(item, args)] = (judgment.correct, judgment.reason)
        if on_judged:
            on_judged()

    await asyncio.gather(*(one(item, args) for item, args in pending))
    return (lambda item, args: verdicts[_judge_key(item, args)]), len(pending)


# --- loading -------------------------------------------------------------------------------


def _read_json(path: Path, expected: str) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SteError(f"{path}: no such file (expected {expected})") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise SteError(f"{path}: cannot read it as JSON ({error}); expected {expected}") from None


def _load_names(path: Path) -> list[str]:
    expected = "a JSON list of API names"
    names = _read_json(path, expected)
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise SteError(f"{path}: expected {expected}")
    return names


def _load_predictions(path: Path, api_names: list[str]) -> dict[str, list[dict]]:
    expected = '{API name: [items with string "model_output" and "action_input"]}'
    data = _read_json(path, expected)
    if not isinstance(data, dict):
        raise SteError(f"{path}: expected {expected}")
    for api, items in data.items():
        if api not in api_names:
            raise SteError(f"{path}: API {api!r} is not in API_list.json")
        if not isinstance(items, list):
            raise SteError(f"{path}: {api!r} should map to a list of items")
        for index, item in enumerate(items):
            _check_item(item, f"{path}: {api!r} item {index}")
    return data


def _check_item(item: Any, where: str) -> None:
    if not isinstance(item, dict):
        raise SteError(f"{where} is not a JSON object")
    for field in ("model_output", "action_input"):
        if not isinstance(item.get(field), str):
            raise SteError(f"{where} has no string {field!r}")
    try:
        gold = json.loads(item["action_input"])
    except json.JSONDecodeError:
        gold = None
    if not isinstance(gold, dict):
        raise SteError(f"{where}: 'action_input' should hold the gold arguments as a JSON object")
    if item.get("args_correct", 0) not in (0, 1):  # True/False compare equal to 1/0
        raise SteError(f"{where}: 'args_correct' should be 0 or 1")
