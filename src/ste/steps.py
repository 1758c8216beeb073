"""The step packages `ste.explore`, `ste.distill` and `ste.train` are also the API
functions of their step: calling the package runs `ste.api.<step>`.

`ste.explore(tools, model, "runs/mine")` then means the same whether or not the package
`ste.explore` was imported before (a package import sets the attribute `ste.explore`).
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from typing import Any


class StepPackage(types.ModuleType):
    """A package that, called, runs its step's API function (see `ste.api`)."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        step = self.__name__.rsplit(".", 1)[-1]
        return getattr(import_module("ste.api"), step)(*args, **kwargs)


def callable_step(name: str) -> None:
    """Make the package `name` (its module's `__name__`) callable as its step."""
    sys.modules[name].__class__ = StepPackage
