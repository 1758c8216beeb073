"""Near-duplicate queries: sentence embeddings when available, a lexical measure otherwise."""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Callable, Sequence

from ste import embeddings
from ste.records import Trial

# Cosine similarity at or above which two queries count as the same request.
DEFAULT_THRESHOLDS = {"embedding": 0.92, "lexical": 0.85}

Similarity = Callable[[Sequence[str]], list[list[float]]]


def _tokens(text: str) -> list[str]:
    words = re.findall(r"\w+", text.casefold())
    return words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]


def lexical_similarity(texts: Sequence[str]) -> list[list[float]]:
    """Cosine similarity of word unigram + bigram counts."""
    bags = [Counter(_tokens(t)) for t in texts]
    norms = [math.sqrt(sum(v * v for v in bag.values())) or 1.0 for bag in bags]
    return [
        [sum(a[k] * b.get(k, 0) for k in a) / (na * nb) for b, nb in zip(bags, norms, strict=True)]
        for a, na in zip(bags, norms, strict=True)
    ]


def embedding_similarity(texts: Sequence[str]) -> list[list[float]]:
    vectors = embeddings.embed(texts)
    return (vectors @ vectors.T).tolist()


def choose_method(method: str = "auto") -> str:
    if method == "auto":
        return "embedding" if embeddings.available() else "lexical"
    if method not in DEFAULT_THRESHOLDS:
        raise ValueError(f"dedup method must be auto, embedding or lexical, got {method!r}")
    return method


def near_duplicates(
    texts: Sequence[str],
    threshold: float,
    similarity: Similarity,
    keys: Sequence[str] | None = None,
) -> dict[int, tuple[int, float]]:
    """{index: (index of the earlier text it repeats, similarity)}; the first of a group stays.
    With `keys`, a text repeats only one of the same key (distillation's: the same calls, so a
    request of one form with other values is another example)."""
    if not texts:
        return {}
    matrix = similarity(texts)
    kept: list[int] = []
    duplicates: dict[int, tuple[int, float]] = {}
    for i in range(len(texts)):
        alike = [k for k in kept if keys is None or keys[i] == keys[k]]
        best = max(alike, key=lambda k: matrix[i][k], default=None)
        if best is not None and matrix[i][best] >= threshold:
            duplicates[i] = (best, round(float(matrix[i][best]), 4))
        else:
            kept.append(i)
    return duplicates


def similarity_function(method: str) -> Similarity:
    return embedding_similarity if method == "embedding" else lexical_similarity


def calls_key(trial: Trial) -> str:
    """The successful calls of a trial's answered attempt, as one comparable text."""
    calls = [[s.call.name, s.call.arguments] for s in trial.call_steps if s.tool_ok and s.call]
    return json.dumps(calls, sort_keys=True, ensure_ascii=False)
