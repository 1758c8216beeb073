"""Exploration: the model practises each tool by simulated trial and error.

Called, the package runs the step: `ste.explore(tools, model, out)` (see `ste.api`)."""

from ste.explore.rundir import RunDir
from ste.explore.runner import explore
from ste.explore.settings import ExploreSettings
from ste.steps import callable_step

callable_step(__name__)

__all__ = ["ExploreSettings", "RunDir", "explore"]
