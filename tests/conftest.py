import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

TOOLBOXES = Path(__file__).parent / "toolboxes"


@pytest.fixture
def toolboxes() -> Path:
    return TOOLBOXES
