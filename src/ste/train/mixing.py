"""Mix replayed and general chats into a new training set (continual learning).

Fine-tuning on new tools alone makes a model forget the old ones (the paper: the first
batch of tools falls to 0% correct by round 3); replaying a share of earlier examples and
some general instruction chats keeps them.

The arithmetic. Every new example is kept: `n` of them. Each extra source j (a replayed
dataset, the general chats) asks for a share `s_j` of the *final* training set, and the
shares add up to `S < 1`, the rest being the new examples. The final set then holds
`T = n / (1 - S)` examples, and source j contributes `round(s_j * T)` =
`round(s_j * n / (1 - S))` of them. Example: 300 new, `--replay old:0.25` -> T = 400, 100
replayed; 300 new, replay 0.2 and general 0.1 -> T = 428.6, 86 replayed and 43 general.

A source is sampled without replacement, deterministically from the seed and its name;
one that holds fewer examples than asked for gives all it has (never duplicates), with a
warning, and its real share is then smaller.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ste.errors import SteError

DEFAULT_REPLAY_SHARE = 0.25
DEFAULT_GENERAL_SHARE = 0.1


def parse_replay(spec: str, default_share: float = DEFAULT_REPLAY_SHARE) -> tuple[Path, float]:
    """`DIR[:SHARE]`; a colon followed by something that is not a number stays in the path."""
    path, colon, tail = spec.rpartition(":")
    if colon and path:
        try:
            share = float(tail)
        except ValueError:
            return Path(spec), check_share(default_share, spec)
        return Path(path), check_share(share, spec)
    return Path(spec), check_share(default_share, spec)


def check_share(share: float, what: str) -> float:
    if not 0.0 < share < 1.0:
        raise SteError(f"{what}: a share must be between 0 and 1 (exclusive), got {share}")
    return share


def targets(new_count: int, shares: list[float]) -> list[int]:
    """How many examples each source should contribute (see the module docstring)."""
    total_share = sum(shares)
    if total_share >= 1.0:
        raise SteError(
            f"the replay and general shares add up to {total_share:g}; they must leave room "
            "for the new examples (sum < 1)"
        )
    final = new_count / (1.0 - total_share)
    return [round(share * final) for share in shares]


@dataclass(frozen=True)
class Source:
    name: str
    share: float
    chats: list[Any]


@dataclass(frozen=True)
class SourceCount:
    name: str
    share: float
    wanted: int
    available: int
    taken: int


@dataclass
class Mix:
    chats: list[Any]
    new: int
    counts: list[SourceCount] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def report(self) -> dict[str, Any]:
        return {
            "new": self.new,
            "total": len(self.chats),
            "sources": [vars(c) for c in self.counts],
            "warnings": self.warnings,
        }


def sample(chats: list[Any], count: int, seed: int, name: str) -> list[Any]:
    """`count` chats without replacement, the same ones for the same seed and source name."""
    rng = random.Random(f"{seed}/{name}")
    indices = sorted(rng.sample(range(len(chats)), min(count, len(chats))))
    return [chats[i] for i in indices]


def mix(new: list[Any], sources: list[Source], seed: int = 0) -> Mix:
    """The new chats followed by each source's sample (the trainer shuffles them)."""
    result = Mix(chats=list(new), new=len(new))
    wanted = targets(len(new), [s.share for s in sources])
    for source, count in zip(sources, wanted, strict=True):
        taken = sample(source.chats, count, seed, source.name)
        if len(taken) < count:
            result.warnings.append(
                f"{source.name}: asked for {count} examples (share {source.share:g}) but it holds "
                f"only {len(source.chats)}; all of them are used"
            )
        result.chats.extend(taken)
        result.counts.append(
            SourceCount(source.name, source.share, count, len(source.chats), len(taken))
        )
    return result
