"""An opt-in SQLite cache of chat responses, wrapped around any `ChatModel`.

Why: exploration seeds are fixed per trial, so a rerun sends exactly the same requests; with
the cache it gets exactly the same replies back, without paying for them again, and tests can
replay a real model's answers cheaply. A request is identified by the SHA-256 of its canonical
JSON (model name, messages, tools, stop, temperature, max_tokens, seed).

A hit returns the stored response with `cached=True` and zero usage, since it spent no tokens;
the usage the model originally spent stays in the table. Each stored response is committed at
once, so a killed process loses nothing it has stored.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ste.errors import ModelError
from ste.models import base
from ste.models.base import GREEDY, ChatModel, ChatResponse, Generation, Message, Tools

_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    text TEXT NOT NULL,
    tool_calls TEXT NOT NULL,
    finish_reason TEXT,
    prompt_tokens INTEGER NOT NULL,
    completion_tokens INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    created TEXT NOT NULL
)
"""

_SELECT = "SELECT text, tool_calls, finish_reason FROM responses WHERE key = ?"

_INSERT = """
INSERT OR REPLACE INTO responses
    (key, model, text, tool_calls, finish_reason, prompt_tokens, completion_tokens, calls, created)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
"""


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def request_key(
    model_name: str, messages: list[Message], tools: Tools, generation: Generation
) -> str:
    """The SHA-256 hex digest that identifies one request to one model."""
    request = {
        "model": model_name,
        "messages": messages,
        "tools": tools,
        "stop": list(generation.stop) or None,
        "temperature": float(generation.temperature),
        "max_tokens": generation.max_tokens,
        "seed": generation.seed,
    }
    return hashlib.sha256(_canonical_json(request).encode("utf-8")).hexdigest()


def _encode_tool_calls(calls: list[base.ToolCall]) -> str:
    return _canonical_json([{"name": c.name, "arguments": c.arguments, "id": c.id} for c in calls])


def _decode_tool_calls(text: str) -> list[base.ToolCall]:
    return [
        base.ToolCall(name=c["name"], arguments=c["arguments"], id=c["id"])
        for c in json.loads(text)
    ]


class CachedModel:
    """A `ChatModel` that answers repeated requests from an SQLite file at `path`.

    `hits` and `misses` count the requests answered from the cache and by the wrapped model.
    """

    def __init__(self, model: ChatModel, path: str | Path) -> None:
        self.model = model
        self.name = model.name
        self.max_concurrency = getattr(model, "max_concurrency", 1)
        self.path = Path(path)
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._connection = self._open()

    def _error(self, exc: sqlite3.Error) -> ModelError:
        return ModelError(
            f"cannot use {self.path} as a response cache: {exc} "
            "(it must be an SQLite database this process can read and write)"
        )

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ModelError(
                f"cannot create the folder for response cache {self.path}: {exc}"
            ) from exc
        try:
            connection = sqlite3.connect(self.path, check_same_thread=False)
        except sqlite3.Error as exc:
            raise self._error(exc) from exc
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute(_SCHEMA)
            connection.commit()
        except sqlite3.Error as exc:
            connection.close()
            raise self._error(exc) from exc
        return connection

    @contextmanager
    def _database(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                yield self._connection
            except sqlite3.Error as exc:
                raise self._error(exc) from exc

    def _load(self, key: str) -> ChatResponse | None:
        with self._database() as db:
            row = db.execute(_SELECT, (key,)).fetchone()
        if row is None:
            return None
        text, tool_calls, finish_reason = row
        return ChatResponse(
            text=text,
            tool_calls=_decode_tool_calls(tool_calls),
            usage=base.Usage(),
            finish_reason=finish_reason,
            cached=True,
        )

    def _store(self, key: str, response: ChatResponse) -> None:
        usage = response.usage
        row = (
            key,
            self.name,
            response.text,
            _encode_tool_calls(response.tool_calls),
            response.finish_reason,
            usage.prompt_tokens,
            usage.completion_tokens,
            usage.calls,
            datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with self._database() as db:
            db.execute(_INSERT, row)
            db.commit()

    async def chat(
        self, messages: list[Message], *, tools: Tools = None, generation: Generation = GREEDY
    ) -> ChatResponse:
        key = request_key(self.name, messages, tools, generation)
        cached = self._load(key)
        if cached is not None:
            self.hits += 1
            return cached
        # Two identical requests in flight together both miss and both call the model; the
        # later store replaces the earlier one, which is harmless.
        self.misses += 1
        response = await self.model.chat(messages, tools=tools, generation=generation)
        self._store(key, response)
        return response

    def close(self) -> None:
        with self._lock:
            self._connection.close()
