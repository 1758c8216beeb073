"""ste: make language models use tools accurately by Simulated Trial and Error.

The Python API (`ste.load_tools`, `ste.load_model`, `ste.explore`, `ste.distill`,
`ste.evaluate`, `ste.train`) is imported on first use, so `import ste` stays cheap.
"""

from __future__ import annotations

from importlib import import_module
from importlib.metadata import PackageNotFoundError, version
from typing import Any

try:
    __version__ = version("ste")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"

_FUNCTIONS = {"load_tools": "ste.tools", "load_model": "ste.models", "evaluate": "ste.api"}
_STEPS = ("explore", "distill", "train")  # packages that, called, run their step
__all__ = ["__version__", *_FUNCTIONS, *_STEPS]


def __getattr__(name: str) -> Any:
    if name in _FUNCTIONS:
        return getattr(import_module(_FUNCTIONS[name]), name)
    if name in _STEPS:
        return import_module(f"ste.{name}")
    raise AttributeError(f"module 'ste' has no attribute {name!r}")
