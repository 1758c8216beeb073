"""A bank of demonstrations: distilled examples, retrievable by similarity to a query.

Built only from a `ste distill` dataset (so from exploration output, never from test
data). Query embeddings (all-MiniLM-L6-v2, offline) are computed once and stored beside the
dataset; without sentence-transformers, BM25 (bm25s) ranks the examples instead, and without
either a lexical cosine similarity does.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ste import embeddings
from ste.distill.dedup import lexical_similarity
from ste.distill.example import Example
from ste.errors import SteError
from ste.icl import DEFAULT_K
from ste.jsonl import numbered_records

CACHE_DIR = "bank"


@dataclass
class Retrieved:
    example: Example
    score: float


def _load_examples(dataset: Path) -> list[Example]:
    manifest_path = dataset / "manifest.json"
    try:
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("kind") != "ste-dataset":
        raise SteError(
            f"{dataset}: not a dataset made by `ste distill` (demonstrations come only from "
            "exploration, so that no test data can leak into them)"
        )
    path = dataset / "examples.jsonl"
    if not path.exists():
        raise SteError(f"{dataset}: the distillation has not finished (no examples.jsonl)")
    examples = []
    for where, record in numbered_records(path):
        if record.get("split", "train") == "train":
            record.pop("split", None)
            try:
                examples.append(Example.model_validate(record))
            except ValidationError as error:
                raise SteError(f"{where}: not an example ({error.errors()[0]['msg']})") from None
    return examples


def _has_bm25() -> bool:
    import importlib.util

    return importlib.util.find_spec("bm25s") is not None


class DemoBank:
    def __init__(self, dataset: Path, method: str = "auto") -> None:
        self.dataset = Path(dataset)
        self.examples = _load_examples(self.dataset)
        if method == "auto":
            method = "embedding" if embeddings.available() else "bm25" if _has_bm25() else "lexical"
        if method not in ("embedding", "bm25", "lexical"):
            raise SteError(f"retrieval must be auto, embedding, bm25 or lexical, got {method!r}")
        self.method = method
        self._vectors: Any = None
        self._bm25: Any = None
        # one index build and one embedding at a time when requests retrieve from threads
        self._lock = threading.Lock()

    def warm(self) -> None:
        """Build the index now (embeddings computed or loaded), not on the first request."""
        self.scores("warm up")

    @property
    def queries(self) -> list[str]:
        return [e.query for e in self.examples]

    def _embeddings(self) -> Any:
        """The examples' query embeddings, computed once and stored with the dataset."""
        if self._vectors is None:
            import numpy as np

            digest = hashlib.sha256("\n".join(self.queries).encode()).hexdigest()[:16]
            folder = self.dataset / CACHE_DIR
            path = folder / f"embeddings-{digest}.npy"
            if path.exists():
                self._vectors = np.load(path)
            else:
                self._vectors = embeddings.embed(self.queries)
                folder.mkdir(exist_ok=True)
                np.save(path, self._vectors)
        return self._vectors

    def _bm25_scores(self, query: str) -> list[float]:
        import bm25s

        if self._bm25 is None:
            self._bm25 = bm25s.BM25()
            self._bm25.index(bm25s.tokenize(self.queries, show_progress=False), show_progress=False)
        # as words: token ids of their own would number the query's words, not the index's
        words = bm25s.tokenize([query], return_ids=False, show_progress=False)[0]
        known = [word for word in words if word in self._bm25.vocab_dict]
        if not known:  # nothing in common with any example
            return [0.0] * len(self.queries)
        return [float(s) for s in self._bm25.get_scores(known)]

    def scores(self, query: str) -> list[float]:
        if not self.examples:
            return []
        with self._lock:
            return self._scores(query)

    def _scores(self, query: str) -> list[float]:
        if self.method == "embedding":
            return [float(s) for s in self._embeddings() @ embeddings.embed([query])[0]]
        if self.method == "bm25":
            return self._bm25_scores(query)
        return lexical_similarity([query, *self.queries])[0][1:]

    def retrieve(
        self,
        query: str,
        tool_names: list[str] | None,
        k: int = DEFAULT_K,
        prefer: str | None = None,
    ) -> list[Retrieved]:
        """The k examples most similar to `query`, among those of the offered tools, most
        similar first; with `prefer` (the tool the request was routed to,
        `ste.icl.routing.ToolRouter`), that tool's examples first, the others filling the
        places it leaves. An example whose calls pass an optional argument the query does not
        ask for (`Example.unasked_options`) gives its place to the next most similar example
        of the same tool that passes none, where there is one, else, when the argument is a
        number or a flag (`Example.unasked_numbers`), to the next most similar example of
        another tool that passes none: a small model copies such an argument into
        a call for a request that never asked for it (dev bench: `precision` in 6 of 10 unit
        conversions after demonstrations that all asked for rounding; in 9 of 10 when the
        tool's only kept example asked for it and was shown anyway)."""
        allowed = set(tool_names) if tool_names is not None else None

        def rank(r: Retrieved) -> tuple[bool, float]:
            return r.example.tool == prefer, r.score

        ranked = sorted(
            (
                Retrieved(example, score)
                for example, score in zip(self.examples, self.scores(query), strict=True)
                if allowed is None or example.tool in allowed
            ),
            key=rank,
            reverse=True,
        )
        chosen, spare = ranked[:k], ranked[k:]
        unasked = [i for i, r in enumerate(chosen) if r.example.unasked_options(query)]
        # the spare examples are judged once, and only when some chosen one must give way
        plain = [r for r in spare if not r.example.unasked_options(query)] if unasked else []
        for index in unasked:
            retrieved = chosen[index]
            same_tool = next((r for r in plain if r.example.tool == retrieved.example.tool), None)
            replacement = same_tool
            if replacement is None and plain and retrieved.example.unasked_numbers(query):
                replacement = plain[0]  # a number or flag nobody asked for: not shown at all
            if replacement is not None:
                plain.remove(replacement)
                chosen[index] = replacement
        return sorted(chosen, key=rank, reverse=True)

    def near_verbatim(self, queries: list[str], threshold: float = 0.9) -> list[tuple[str, str]]:
        """(test query, bank query) pairs that are (nearly) the same text: a leak."""
        bank = self.queries
        if not bank or not queries:
            return []
        matrix = lexical_similarity([*queries, *bank])
        leaks = []
        for i, query in enumerate(queries):
            row = matrix[i][len(queries) :]
            best = max(range(len(bank)), key=lambda j: row[j])
            if row[best] >= threshold:
                leaks.append((query, bank[best]))
        return leaks
