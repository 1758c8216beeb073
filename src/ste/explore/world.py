"""What an episode runs in: the user's reset command, and a stateful tool's own instance."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from ste.explore.settings import ExploreSettings
from ste.records import Trial
from ste.tools.reset import run_reset
from ste.tools.stateful import fresh_instance, replay, succeeded_calls
from ste.tools.tool import Tool


@asynccontextmanager
async def episode_world(
    tool: Tool, settings: ExploreSettings, done: list[Trial], start_state: Any
) -> AsyncIterator[None]:
    """What an episode runs in: the user's reset first, then (for a stateful tool) a fresh
    instance from `start_state`, on which a resumed episode's successful calls are replayed."""
    if settings.reset:
        await run_reset(settings.reset)
    async with fresh_instance([tool], start_state):
        if done and tool.stateful:
            calls = [c for record in done for c in succeeded_calls(record.steps)]
            await replay(tool, calls, settings.tool_timeout)
        yield
