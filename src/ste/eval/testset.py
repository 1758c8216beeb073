"""Test sets in the format of shared/bench/FORMAT.md: one JSON item per line."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field, ValidationError

from ste.errors import SteError


class ExpectedCall(BaseModel):
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class TestItem(BaseModel):
    __test__ = False  # not a pytest class

    id: str
    query: str
    expected: list[ExpectedCall] = Field(min_length=1)
    tools: list[str] | None = None
    answer: str | None = None
    state: Any = None  # a stateful toolbox's start state for this item (its setup method's)

    @property
    def tool(self) -> str:
        """The tool the item is about (its first acceptable call's)."""
        return self.expected[0].name


def load_tests(path: str | Path, tool_names: list[str] | None = None) -> list[TestItem]:
    """Read and check a tests.jsonl file; every problem names its line."""
    path = Path(path)
    if not path.is_file():
        raise SteError(f"{path}: no such test file")
    items: list[TestItem] = []
    seen: set[str] = set()
    for number, raw in enumerate(path.read_bytes().splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path}:{number}"
        try:
            item = TestItem.model_validate(json.loads(raw.decode("utf-8")))
        except UnicodeDecodeError:
            raise SteError(f"{where}: not UTF-8 text (a tests file is UTF-8 JSON lines)") from None
        except json.JSONDecodeError as error:
            raise SteError(f"{where}: not valid JSON ({error.msg})") from None
        except ValidationError as error:
            first = error.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "item"
            raise SteError(
                f"{where}: {field}: {first['msg']}; an item needs id, query and expected "
                '[{"name": ..., "arguments": {...}}] (tools, answer and state optional)'
            ) from None
        except (RecursionError, ValueError) as error:  # nested too deeply, a huge integer
            raise SteError(f"{where}: not JSON ste reads ({error})") from None
        if item.id in seen:
            raise SteError(f"{where}: duplicate id {item.id!r}")
        seen.add(item.id)
        if tool_names is not None:
            unknown = {c.name for c in item.expected} | set(item.tools or [])
            unknown -= set(tool_names)
            if unknown:
                raise SteError(
                    f"{where}: item {item.id} names tools not in the toolbox: "
                    f"{', '.join(sorted(unknown))}"
                )
        items.append(item)
    if not items:
        raise SteError(f"{path}: contains no test items")
    return items
