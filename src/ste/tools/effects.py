"""The side-effect policy: which calls really run during practice and evaluation.

Every tool has an effect class (`Tool.effect`): `read_only`, `side_effecting` or `unknown`.
MCP servers say it with annotations (`readOnlyHint`, `destructiveHint`), HTTP with the method
(GET/HEAD/OPTIONS are read-only), Python toolboxes with the decorators below. A tool that is
not read-only runs only where the user allows it (`--allow-side-effects all|NAME,...`);
otherwise its call is validated against the schema and the model is told it was not run.
Python functions nobody marked run as they always have: the user wrote and chose them.

    from ste.tools.effects import read_only, side_effecting

    @side_effecting
    def send_email(to: str, body: str) -> str: ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from ste.errors import ToolboxError
from ste.tools.tool import Effect, Tool

F = TypeVar("F", bound=Callable[..., Any])
MARK = "__ste_effect__"


def side_effecting(function: F) -> F:
    """Mark a Python tool as changing the world (writes, sends, deletes): during practice and
    evaluation it runs only with `--allow-side-effects`."""
    setattr(function, MARK, "side_effecting")
    return function


def read_only(function: F) -> F:
    """Mark a Python tool as only reading: it always runs."""
    setattr(function, MARK, "read_only")
    return function


def python_effect(function: Callable[..., Any]) -> tuple[Effect, str]:
    """A Python function's effect class and where it came from."""
    mark = getattr(function, MARK, None)
    if mark == "side_effecting":
        return "side_effecting", "@side_effecting"
    if mark == "read_only":
        return "read_only", "@read_only"
    return "unknown", "unmarked"


class NotExecuted(Exception):
    """Raised instead of calling a tool the policy holds back (`ToolResult.error_kind`
    "not_executed")."""


@dataclass(frozen=True)
class SideEffectPolicy:
    """Which tools that are not read-only may run: none, all, or those named."""

    allow_all: bool = False
    allowed: frozenset[str] = frozenset()

    @classmethod
    def parse(cls, value: str | None) -> SideEffectPolicy:
        """`--allow-side-effects` as given: None/"" (none), "all", or "NAME,NAME"."""
        if value is None or not value.strip():
            return cls()
        if value.strip() == "all":
            return cls(allow_all=True)
        names = frozenset(n.strip() for n in value.split(",") if n.strip())
        if not names:
            raise ToolboxError(
                f"--allow-side-effects {value!r}: give 'all' or tool names separated by commas"
            )
        return cls(allowed=names)

    def runs(self, tool: Tool) -> bool:
        return tool.runs_by_default or self.allow_all or tool.name in self.allowed

    def check_names(self, tools: Iterable[Tool]) -> None:
        known = {t.name for t in tools}
        unknown = sorted(self.allowed - known)
        if unknown:
            raise ToolboxError(
                f"--allow-side-effects: no tool named {', '.join(unknown)}; the toolbox has: "
                f"{', '.join(sorted(known))}"
            )

    def label(self) -> str:
        return "all" if self.allow_all else ",".join(sorted(self.allowed))


def _held_back(name: str) -> Callable[..., Any]:
    def not_run(**_arguments: Any) -> Any:
        raise NotExecuted(name)

    return not_run


def apply_policy(tools: list[Tool], policy: SideEffectPolicy) -> list[Tool]:
    """The tools with each one the policy holds back replaced by a stand-in that validates
    and does not run (its description and schema unchanged)."""
    policy.check_names(tools)
    return [t if policy.runs(t) else replace(t, function=_held_back(t.name)) for t in tools]


def held_back(tools: Iterable[Tool], policy: SideEffectPolicy) -> list[str]:
    """The names of the tools the policy will not run."""
    return [t.name for t in tools if not policy.runs(t)]
