"""What an exploration run is configured with, and what identifies it in its manifest."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from typing import Any

from ste import __version__
from ste.tools.tool import Tool


@dataclass
class ExploreSettings:
    episodes: int = 15  # per tool; each one conversation (the short-term memory)
    trials: int = 4  # per episode
    max_turns: int = 4  # model replies per trial while it tries the query
    extra_turns: int = 2  # more replies, one per error the tool had not given before
    # a tool whose episode covered nothing new (no parameter, enum value or error) and that
    # has `enough_solved` usable trials (honestly solved and passing distillation's rule
    # checks: `ste.checks.rules.usable`) stops; its unused episodes go to the tools with
    # fewer, as repair episodes that start from the errors seen so far
    rebalance: bool = True
    enough_solved: int = 3
    # a finished trial that fails a rule check a new call could pass is told what the check
    # found and may call again (`ste.explore.review`)
    review: bool = True
    # a trial whose model imagined no request it could try has one written from a call the
    # model makes in a fresh conversation (`ste.explore.backward.request_from_call`)
    request_from_call: bool = True
    temperature: float = 1.0
    imagine_max_tokens: int = 360
    max_tokens: int = 512
    protocol: str = "react"
    ltm: bool = True  # list earlier queries of the tool when imagining a new one
    stm: bool = True  # keep an episode's trials in one conversation
    reflection: bool = True  # ask whether each query was fulfilled
    execute: bool = True  # run the tool (False: the model is told the call was recorded)
    seed: int = 0
    tool_timeout: float = 30.0
    allow_side_effects: str = ""  # "all" or tool names: tools not read-only that may run
    reset: str = ""  # a command run before each episode (empty: none)
    start_states: str = ""  # a JSON list of a stateful toolbox's start states (episodes in turn)

    def manifest_settings(self) -> dict[str, Any]:
        values = asdict(self)
        # runs from before these existed still match
        for key in ("allow_side_effects", "reset", "start_states"):
            if not values[key]:
                del values[key]
        return values


def tool_fingerprint(tool: Tool) -> dict[str, Any]:
    """The tool as the model sees it, with a hash: a changed tool makes a different run."""
    spec = tool.openai_spec()["function"]
    digest = hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:16]
    return {**spec, "sha256": digest}


def manifest(model_name: str, tools: list[Tool], settings: ExploreSettings) -> dict[str, Any]:
    return {
        "kind": "ste-exploration",
        "ste_version": __version__,
        "model": model_name,
        "settings": settings.manifest_settings(),
        "tools": [tool_fingerprint(t) for t in tools],
    }


def trial_seed(seed: int, tool: str, episode: int, trial: int) -> int:
    """A fixed seed per trial: reruns reproduce it, and a response cache can answer it."""
    key = f"{seed}/{tool}/{episode}/{trial}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big") & 0x7FFFFFFF
