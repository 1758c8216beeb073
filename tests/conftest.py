import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

TOOLBOXES = Path(__file__).parent / "toolboxes"


@pytest.fixture
def toolboxes() -> Path:
    return TOOLBOXES


def require_module(name: str) -> None:
    """Skip when an optional module is missing, or fail under STE_REQUIRE_REAL_MODEL=1 (CI),
    where the README's test command installs everything: there a skip would hide a test."""
    import importlib.util
    import os

    if importlib.util.find_spec(name) is not None:
        return
    reason = f"{name} is not installed (pip install -e '.[test]')"
    if os.environ.get("STE_REQUIRE_REAL_MODEL") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason, allow_module_level=True)
