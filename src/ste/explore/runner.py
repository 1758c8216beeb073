"""Explore every tool: tools run concurrently, each tool's episodes one after another
(each episode's long-term memory needs the earlier ones)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ste.agent.loop import get_protocol
from ste.explore.episode import episode_world, run_episode
from ste.explore.rundir import RunDir
from ste.explore.settings import ExploreSettings
from ste.models.base import ChatModel
from ste.models.metered import MeteredModel
from ste.records import Trial
from ste.tools.stateful import load_start_states
from ste.tools.tool import Tool

OnTrial = Callable[[Trial], None]


def _by_tool_and_episode(trials: list[Trial]) -> dict[str, dict[int, list[Trial]]]:
    grouped: dict[str, dict[int, list[Trial]]] = {}
    for trial in trials:
        grouped.setdefault(trial.tool, {}).setdefault(trial.episode, []).append(trial)
    for episodes in grouped.values():
        for of_episode in episodes.values():
            of_episode.sort(key=lambda t: t.trial)
    return grouped


async def explore_tool(
    model: ChatModel,
    tool: Tool,
    settings: ExploreSettings,
    run_dir: RunDir,
    done: dict[int, list[Trial]],
    on_trial: OnTrial | None = None,
) -> None:
    protocol = get_protocol(settings.protocol)
    memory = [(t.query, t.solved) for episode in sorted(done) for t in done[episode]]

    async def finished(record: Trial) -> None:
        # fsync takes milliseconds: off the event loop, so other tools' requests go on
        await asyncio.to_thread(run_dir.append_trial, record)
        if on_trial:
            on_trial(record)

    states = load_start_states(settings.start_states) if settings.start_states else [None]
    for episode in range(settings.episodes):
        finished_trials = done.get(episode, [])
        if len(finished_trials) >= settings.trials:
            continue
        metered = MeteredModel(model, run_dir.append_usage, tool=tool.name, episode=episode)
        state = states[episode % len(states)]  # the scenarios in turn
        async with episode_world(tool, settings, finished_trials, state):
            await run_episode(
                metered, protocol, tool, settings, episode, memory, finished_trials, finished, state
            )


async def explore(
    model: ChatModel,
    tools: list[Tool],
    settings: ExploreSettings,
    run_dir: RunDir,
    *,
    concurrency: int = 1,
    on_trial: OnTrial | None = None,
) -> None:
    """Run every trial not yet in `run_dir`; finished trials are appended as they finish."""
    done = _by_tool_and_episode(run_dir.read_trials())
    # a reset restores one shared environment: tools take turns on it
    semaphore = asyncio.Semaphore(1 if settings.reset else max(1, concurrency))

    async def one(tool: Tool) -> None:
        async with semaphore:
            await explore_tool(model, tool, settings, run_dir, done.get(tool.name, {}), on_trial)

    run_dir.open()
    try:
        await asyncio.gather(*(one(tool) for tool in tools))
    finally:
        run_dir.close()
