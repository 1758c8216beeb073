"""Everything an experiment is run with: the stage settings it composes, the conditions.

An experiment does not re-declare what its stages take: it holds one settings object per
stage (exploration, distillation, the in-context eval, fine-tuning) and one seed and
protocol that it gives all of them. `ExperimentSettings.of` builds one from the flat names
the `ste experiment` options use; `record()` writes that same flat layout to
`experiment.json`, so a folder of an earlier version is compared, not refused.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from ste.distill.pipeline import DistillSettings
from ste.eval.runner import EvalSettings
from ste.explore.settings import ExploreSettings
from ste.models.registry import DEFAULT_MODEL
from ste.train.trainer import TrainSettings

ABLATIONS = ("ltm", "stm", "reflection", "exec", "review")
# the ExploreSettings switch each ablation turns off
ABLATION_SWITCHES = {
    "ltm": "ltm",
    "stm": "stm",
    "reflection": "reflection",
    "exec": "execute",
    "review": "review",
}

# the experiment's budget defaults, smaller than each stage's own (an experiment runs them all)
EXPLORE_DEFAULTS = {"episodes": 3, "trials": 3}
DISTILL_DEFAULTS = {"target_per_tool": 20, "max_paraphrases": 3}
# `ste experiment --quick`: a first look at the lift on the bundled tools in about 25 minutes
# on 2 CPU cores with the embedded 1.5B model (measured: see the README's first command).
# Options given on the command line win over these.
QUICK = {
    "episodes": 1,
    "trials": 2,
    "judge_check": False,  # the rule checks and the re-run check still filter
    "target_per_tool": 0,  # no paraphrases
    "max_paraphrases": 0,
    "k": 3,
    "demo_tokens": 800,
    "items_per_tool": 3,
    "out": "ste-quick",
}


@dataclass
class ExperimentSettings:
    model: str = DEFAULT_MODEL
    judge: str | None = None  # judge and paraphraser; default: the model
    protocol: str = "react"
    seed: int = 0
    limit: int | None = None  # test items (first N)
    items_per_tool: int | None = None  # test items (the first N of each tool)
    explore: ExploreSettings = field(default_factory=lambda: ExploreSettings(**EXPLORE_DEFAULTS))
    distill: DistillSettings = field(default_factory=lambda: DistillSettings(**DISTILL_DEFAULTS))
    icl: EvalSettings = field(default_factory=EvalSettings)  # k and demo_tokens
    train: TrainSettings | None = None  # None: no fine-tuning
    train_base: str | None = None  # the model to fine-tune; default: the model
    ablations: list[str] = field(default_factory=list)
    notes: bool = False  # also the conditions tool notes, and notes + demonstrations
    # whose notes a request reads in those conditions (`ste.icl.routing.NOTES_FOR`): the
    # tool the model called, its call asked again with them beside the request
    notes_for: str = "chosen"
    # also the condition of the last in-context one with its call checked against the
    # request before it runs (`ste.icl.request_check`)
    check_call: bool = False
    concurrency: int | None = None  # default: what the model serves at once

    def __post_init__(self) -> None:
        # one seed and one protocol for every stage
        self.explore = replace(self.explore, seed=self.seed, protocol=self.protocol)
        self.distill = replace(self.distill, seed=self.seed)
        self.icl = replace(self.icl, seed=self.seed, protocol=self.protocol)
        if self.train is not None:
            self.train = replace(self.train, seed=self.seed)

    @classmethod
    def of(
        cls,
        *,
        episodes: int = EXPLORE_DEFAULTS["episodes"],
        trials: int = EXPLORE_DEFAULTS["trials"],
        max_turns: int = ExploreSettings.max_turns,
        temperature: float = ExploreSettings.temperature,
        tool_timeout: float | None = None,
        judge_check: bool = True,
        target_per_tool: int = DISTILL_DEFAULTS["target_per_tool"],
        max_paraphrases: int = DISTILL_DEFAULTS["max_paraphrases"],
        k: int = EvalSettings.k,
        demo_tokens: int = EvalSettings.demo_tokens,
        train: bool = False,
        train_epochs: float = 2.0,
        train_steps: int | None = None,
        allow_side_effects: str | None = None,
        reset: str | None = None,
        **experiment: Any,
    ) -> ExperimentSettings:
        """From the flat names of the `ste experiment` options (and of `record()`)."""
        timeout = ExploreSettings.tool_timeout if tool_timeout is None else tool_timeout
        return cls(
            explore=ExploreSettings(
                episodes=episodes,
                trials=trials,
                max_turns=max_turns,
                temperature=temperature,
                tool_timeout=timeout,
                allow_side_effects=allow_side_effects or "",
                reset=reset or "",
            ),
            distill=DistillSettings(
                judge=judge_check, target_per_tool=target_per_tool, max_paraphrases=max_paraphrases
            ),
            icl=EvalSettings(
                k=k,
                demo_tokens=demo_tokens,
                tool_timeout=timeout,
                allow_side_effects=allow_side_effects or "",
                reset=reset or "",
            ),
            train=TrainSettings(epochs=train_epochs, max_steps=train_steps) if train else None,
            **experiment,
        )

    @classmethod
    def from_options(cls, options: dict[str, Any], **overrides: Any) -> ExperimentSettings:
        """From a command's parameters, taking those named as in `record()`."""
        names = set(cls().record())
        chosen = {k: v for k, v in options.items() if k in names}
        return cls.of(**{**chosen, **overrides})

    def record(self) -> dict[str, Any]:
        """The flat layout of `experiment.json` (the names `of` takes)."""
        return {
            "model": self.model,
            "judge": self.judge,
            "protocol": self.protocol,
            "seed": self.seed,
            "limit": self.limit,
            "items_per_tool": self.items_per_tool,
            "episodes": self.explore.episodes,
            "trials": self.explore.trials,
            "max_turns": self.explore.max_turns,
            "temperature": self.explore.temperature,
            "tool_timeout": self.explore.tool_timeout,
            "judge_check": self.distill.judge,
            "target_per_tool": self.distill.target_per_tool,
            "max_paraphrases": self.distill.max_paraphrases,
            "k": self.icl.k,
            "demo_tokens": self.icl.demo_tokens,
            "train": self.train is not None,
            "train_base": self.train_base,
            "train_epochs": self.train.epochs if self.train else 2.0,
            "train_steps": self.train.max_steps if self.train else None,
            "ablations": list(self.ablations),
            "notes": self.notes,
            **({"notes_for": self.notes_for} if self.notes else {}),
            **({"check_call": True} if self.check_call else {}),
            "concurrency": self.concurrency,
            "allow_side_effects": self.explore.allow_side_effects,
            "reset": self.explore.reset,
        }

    def explore_settings(self, ablation: str | None = None) -> ExploreSettings:
        """The exploration of the full method, or of an ablation without one of its parts."""
        if ablation is None:
            return self.explore
        return replace(self.explore, **{ABLATION_SWITCHES[ablation]: False})

    def stages(self) -> dict[str, Any]:
        """Every stage's settings, for results.json."""
        return {
            "explore": asdict(self.explore),
            "distill": asdict(self.distill),
            "icl": asdict(self.icl),
            "train": asdict(self.train) if self.train else None,
        }

    def check(self) -> None:
        unknown = [a for a in self.ablations if a not in ABLATIONS]
        if unknown:
            raise ValueError(
                f"unknown ablation {', '.join(unknown)}; choose from {', '.join(ABLATIONS)}"
            )


def chosen_items(items: list[Any], limit: int | None, per_tool: int | None) -> list[Any]:
    """The test items an experiment runs: the first `per_tool` of each tool, then the first
    `limit` of those."""
    if per_tool is not None:
        seen: dict[str, int] = {}
        kept = []
        for item in items:
            seen[item.tool] = seen.get(item.tool, 0) + 1
            if seen[item.tool] <= per_tool:
                kept.append(item)
        items = kept
    return items[:limit]
