"""The SQLite response cache: hits, misses, round-trips, persistence and bad files."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from scripted import ScriptedModel, call
from ste.errors import ModelError
from ste.models.base import GREEDY, ChatModel, ChatResponse, ToolCall, Usage
from ste.models.cache import CachedModel

Opener = Callable[..., CachedModel]

MESSAGES = [{"role": "user", "content": "What is 2 + 2?"}]
TOOLS = [{"type": "function", "function": {"name": "add", "parameters": {"type": "object"}}}]
REQUEST: dict[str, Any] = {
    "tools": TOOLS,
    "stop": ["Observation:"],
    "temperature": 0.7,
    "max_tokens": 256,
    "seed": 3,
}


def as_request(options: dict[str, Any]) -> dict[str, Any]:
    """`chat` keywords from flat options: tools, and the sampling settings as a Generation."""
    sampling = {k: v for k, v in options.items() if k != "tools"}
    return {"tools": options.get("tools"), "generation": GREEDY.but(**sampling)}


@pytest.fixture
def cache_path(tmp_path: Path) -> Path:
    return tmp_path / "cache.sqlite"


@pytest.fixture
def open_cache(cache_path: Path) -> Iterator[Opener]:
    opened: list[CachedModel] = []

    def open_(model: ChatModel, path: Path = cache_path) -> CachedModel:
        opened.append(CachedModel(model, path))
        return opened[-1]

    yield open_
    for cache in opened:
        cache.close()


async def test_second_identical_request_is_served_from_the_cache(open_cache: Opener) -> None:
    scripted = ScriptedModel(["four"])
    cache = open_cache(scripted)

    first = await cache.chat(MESSAGES, **as_request(REQUEST))
    second = await cache.chat(MESSAGES, **as_request(REQUEST))

    assert len(scripted.requests) == 1
    assert (first.text, first.cached) == ("four", False)
    assert first.usage == Usage(
        prompt_tokens=10, completion_tokens=5, calls=1, evaluated_prompt_tokens=10
    )
    assert (second.text, second.cached) == ("four", True)
    assert second.usage == Usage()


async def test_a_miss_returns_the_model_response_unchanged(open_cache: Opener) -> None:
    reply = ChatResponse(text="four", finish_reason="stop")
    cache = open_cache(ScriptedModel([reply]))

    assert await cache.chat(MESSAGES) is reply


async def test_the_cache_passes_every_parameter_to_the_model(open_cache: Opener) -> None:
    scripted = ScriptedModel(["four"])

    await open_cache(scripted).chat(MESSAGES, **as_request(REQUEST))

    assert scripted.requests == [{"messages": MESSAGES, **REQUEST}]


@pytest.mark.parametrize(
    "change",
    [
        {"messages": [{"role": "user", "content": "What is 2 + 3?"}]},
        {"tools": None},
        {"tools": [*TOOLS, {"type": "function", "function": {"name": "sub"}}]},
        {"stop": None},
        {"stop": ["Final Answer:"]},
        {"temperature": 0.0},
        {"max_tokens": 512},
        {"seed": None},
        {"seed": 4},
    ],
    ids=lambda change: "-".join(change),
)
async def test_any_differing_parameter_misses(open_cache: Opener, change: dict[str, Any]) -> None:
    scripted = ScriptedModel(["four", "other"])
    cache = open_cache(scripted)
    changed = {"messages": MESSAGES, **REQUEST, **change}

    await cache.chat(MESSAGES, **as_request(REQUEST))
    response = await cache.chat(changed.pop("messages"), **as_request(changed))

    assert len(scripted.requests) == 2
    assert (response.text, response.cached) == ("other", False)


async def test_a_different_model_name_misses(open_cache: Opener) -> None:
    small = ScriptedModel(["small says four"], name="small")
    large = ScriptedModel(["large says four"], name="large")

    await open_cache(small).chat(MESSAGES)
    response = await open_cache(large).chat(MESSAGES)

    assert len(large.requests) == 1
    assert (response.text, response.cached) == ("large says four", False)


def test_the_cache_takes_the_wrapped_model_name(open_cache: Opener) -> None:
    assert open_cache(ScriptedModel([], name="local:qwen")).name == "local:qwen"


async def test_tool_calls_round_trip_exactly(open_cache: Opener) -> None:
    calls = [
        ToolCall(name="add", arguments={"a": 2, "b": [1.5, None, True], "note": "ünï"}, id="c1"),
        ToolCall(name="echo", arguments='{"not valid json', id="c2"),
        ToolCall(name="noop", arguments={}),
    ]
    reply = ChatResponse(text="Let me add.", tool_calls=calls, finish_reason="tool_calls")
    cache = open_cache(ScriptedModel([reply]))

    await cache.chat(MESSAGES, tools=TOOLS)
    cached = await cache.chat(MESSAGES, tools=TOOLS)

    assert cached.tool_calls == calls
    assert (cached.text, cached.finish_reason, cached.cached) == (
        "Let me add.",
        "tool_calls",
        True,
    )


async def test_a_scripted_tool_call_round_trips(open_cache: Opener) -> None:
    cache = open_cache(ScriptedModel([call("add", {"a": 2, "b": 2}, "call_1")]))

    await cache.chat(MESSAGES)
    cached = await cache.chat(MESSAGES)

    assert cached.tool_calls == [ToolCall(name="add", arguments={"a": 2, "b": 2}, id="call_1")]


async def test_the_cache_persists_across_instances(open_cache: Opener) -> None:
    first = open_cache(ScriptedModel(["four"]))
    await first.chat(MESSAGES, **as_request(REQUEST))
    first.close()

    fresh = ScriptedModel([])
    second = open_cache(fresh)
    response = await second.chat(MESSAGES, **as_request(REQUEST))

    assert fresh.requests == []
    assert (response.text, response.cached) == ("four", True)


async def test_the_table_keeps_the_usage_originally_spent(
    open_cache: Opener, cache_path: Path
) -> None:
    cache = open_cache(ScriptedModel(["four"]))
    await cache.chat(MESSAGES)
    await cache.chat(MESSAGES)

    with sqlite3.connect(cache_path) as db:
        rows = db.execute(
            "SELECT model, prompt_tokens, completion_tokens, calls FROM responses"
        ).fetchall()
    assert rows == [("scripted", 10, 5, 1)]


async def test_parent_folders_are_created(open_cache: Opener, tmp_path: Path) -> None:
    path = tmp_path / "runs" / "cache" / "responses.sqlite"

    await open_cache(ScriptedModel(["four"]), path).chat(MESSAGES)

    assert path.is_file()


def test_a_file_that_is_not_a_database_is_a_model_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are notes, not an SQLite database\n" * 100)

    with pytest.raises(ModelError, match="response cache") as raised:
        CachedModel(ScriptedModel([]), path)

    assert str(path) in str(raised.value)


def test_a_folder_in_place_of_the_file_is_a_model_error(tmp_path: Path) -> None:
    with pytest.raises(ModelError) as raised:
        CachedModel(ScriptedModel([]), tmp_path)

    assert str(tmp_path) in str(raised.value)


async def test_hits_and_misses_are_counted(open_cache: Opener) -> None:
    cache = open_cache(ScriptedModel(["four", "five"]))
    other = [{"role": "user", "content": "What is 2 + 3?"}]

    await cache.chat(MESSAGES)
    await cache.chat(MESSAGES)
    await cache.chat(other)
    await cache.chat(MESSAGES)

    assert (cache.hits, cache.misses) == (2, 2)


async def test_a_failed_model_call_stores_nothing(open_cache: Opener) -> None:
    scripted = ScriptedModel([])
    cache = open_cache(scripted)

    with pytest.raises(AssertionError, match="ran out of replies"):
        await cache.chat(MESSAGES)
    scripted.replies.append("four")
    response = await cache.chat(MESSAGES)

    assert (response.text, response.cached) == ("four", False)
