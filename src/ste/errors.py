"""Errors a user can act on.

Every `SteError` carries one message that says what went wrong, where, and what is
accepted. The CLI prints it on one line and exits with code 2; no traceback is shown.
"""


class SteError(Exception):
    """A problem with the user's input (toolbox, model spec, config, file)."""


class ToolboxError(SteError):
    """A toolbox could not be loaded or one of its functions cannot become a tool."""


class ModelError(SteError):
    """A model spec is unknown, a model is not installed, or a backend is unusable."""
