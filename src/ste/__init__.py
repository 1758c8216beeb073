"""ste: make language models use tools accurately by Simulated Trial and Error."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("ste")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
