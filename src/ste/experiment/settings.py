"""Everything an experiment is run with: budgets, the seed, the conditions."""

from __future__ import annotations

from dataclasses import dataclass, field

from ste.icl import DEFAULT_K, DEFAULT_TOKEN_BUDGET
from ste.models.registry import DEFAULT_MODEL

ABLATIONS = ("ltm", "stm", "reflection", "exec")
# the ExploreSettings switch each ablation turns off
ABLATION_SWITCHES = {"ltm": "ltm", "stm": "stm", "reflection": "reflection", "exec": "execute"}


@dataclass
class ExperimentSettings:
    model: str = DEFAULT_MODEL
    judge: str | None = None  # default: the model
    protocol: str = "react"
    seed: int = 0
    limit: int | None = None  # test items (first N)
    # exploration
    episodes: int = 3
    trials: int = 3
    max_turns: int = 4
    temperature: float = 1.0
    # distillation
    judge_check: bool = True
    target_per_tool: int = 20
    max_paraphrases: int = 3
    # in-context learning
    k: int = DEFAULT_K
    demo_tokens: int = DEFAULT_TOKEN_BUDGET
    # fine-tuning
    train: bool = False
    train_base: str | None = None  # the model to fine-tune; default: the model
    train_epochs: float = 2.0
    train_steps: int | None = None
    ablations: list[str] = field(default_factory=list)
    concurrency: int | None = None  # default: 1 local, 8 endpoints

    def check(self) -> None:
        unknown = [a for a in self.ablations if a not in ABLATIONS]
        if unknown:
            raise ValueError(
                f"unknown ablation {', '.join(unknown)}; choose from {', '.join(ABLATIONS)}"
            )
