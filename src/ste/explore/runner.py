"""Explore every tool: tools run concurrently, each tool's episodes one after another
(each episode's long-term memory needs the earlier ones).

A tool stops early when an episode taught nothing new and it has enough usable trials
(honestly solved, and passing the rule checks a kept example must pass); the episodes it did
not use go, as repair episodes, to the tools that still have too few (see
`ExploreSettings.rebalance`): a tool whose trials are all rejected, for a request that
invents its values say, is the one that needs more practice. Every decision is a function
of the trials, so a resumed run makes the same ones.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ste.agent.loop import get_protocol
from ste.explore.episode import run_episode
from ste.explore.memory import ToolMemory
from ste.explore.rundir import RunDir
from ste.explore.settings import ExploreSettings
from ste.explore.world import episode_world
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


@dataclass
class ToolExploration:
    """One tool's exploration: its finished trials by episode and its long-term memory."""

    tool: Tool
    done: dict[int, list[Trial]]
    memory: ToolMemory
    spare: int = 0  # regular episodes it did not need
    repairs: int = 0  # repair episodes it was given

    def needs_help(self, settings: ExploreSettings) -> bool:
        return self.memory.usable < settings.enough_solved and self.repairs < settings.episodes


def neediest(
    works: list[ToolExploration], settings: ExploreSettings, spare: int
) -> list[ToolExploration]:
    """The tools that get the next round of repair episodes: those with too few usable
    trials, the fewest first (spare episodes may not reach them all), one episode each."""
    needy = [w for w in works if w.needs_help(settings)]
    return sorted(needy, key=lambda w: w.memory.usable)[:spare]


class Explorer:
    def __init__(
        self, model: ChatModel, settings: ExploreSettings, run_dir: RunDir, on_trial: OnTrial | None
    ) -> None:
        self.model, self.settings, self.run_dir, self.on_trial = model, settings, run_dir, on_trial
        self.protocol = get_protocol(settings.protocol)
        starts = load_start_states(settings.start_states) if settings.start_states else [None]
        self.start_states = starts
        self.today = run_dir.today()

    async def _finished(self, record: Trial) -> None:
        # fsync takes milliseconds: off the event loop, so other tools' requests go on
        await asyncio.to_thread(self.run_dir.append_trial, record)
        if self.on_trial:
            self.on_trial(record)

    async def episode(self, work: ToolExploration, episode: int) -> bool:
        """Finish `episode` of the tool (its finished trials remembered first); whether
        it covered anything new."""
        finished = work.done.get(episode, [])
        gained = any([work.memory.add(t) for t in finished])
        if len(finished) >= self.settings.trials:
            return gained
        tool = work.tool
        metered = MeteredModel(
            self.model, self.run_dir.append_usage, tool=tool.name, episode=episode
        )
        state = self.start_states[episode % len(self.start_states)]  # the scenarios in turn
        async with episode_world(tool, self.settings, finished, state):
            new = await run_episode(
                metered,
                self.protocol,
                tool,
                self.settings,
                episode,
                work.memory,
                finished,
                self._finished,
                state,
                today=self.today,
            )
        return gained or new

    async def regular(self, work: ToolExploration) -> None:
        settings = self.settings
        for episode in range(settings.episodes):
            gained = await self.episode(work, episode)
            if settings.rebalance and not gained and work.memory.usable >= settings.enough_solved:
                work.spare = settings.episodes - episode - 1
                return

    async def repair(self, work: ToolExploration) -> None:
        await self.episode(work, self.settings.episodes + work.repairs)
        work.repairs += 1


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
    explorer = Explorer(model, settings, run_dir, on_trial)
    works = [ToolExploration(t, done.get(t.name, {}), ToolMemory.of(t, [])) for t in tools]
    # a reset restores one shared environment: tools take turns on it
    semaphore = asyncio.Semaphore(1 if settings.reset else max(1, concurrency))

    async def each(
        step: Callable[[ToolExploration], Awaitable[None]], chosen: list[ToolExploration]
    ) -> None:
        async def one(work: ToolExploration) -> None:
            async with semaphore:
                await step(work)

        await asyncio.gather(*(one(w) for w in chosen))

    run_dir.open()
    try:
        await each(explorer.regular, works)
        spare = sum(w.spare for w in works)
        while spare > 0:  # rounds of repair episodes for the tools with too few solved
            needy = neediest(works, settings, spare)
            if not needy:
                break
            await each(explorer.repair, needy)
            spare -= len(needy)
    finally:
        run_dir.close()
