import os
import shutil
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))


@pytest.fixture
def need_spatch():
    if not shutil.which("spatch"):
        pytest.fail("spatch is not installed: run make deps")
