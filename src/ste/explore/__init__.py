"""Exploration: the model practises each tool by simulated trial and error."""

from ste.explore.rundir import RunDir
from ste.explore.runner import explore
from ste.explore.settings import ExploreSettings

__all__ = ["ExploreSettings", "RunDir", "explore"]
