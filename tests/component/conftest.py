"""Fixtures the component tests share (the layer's own; tests/conftest.py has the stores)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest


@pytest.fixture
def old_file(tmp_path: Path) -> Path:
    """Given a test's folder, return a file 40 days old in a folder of its own (what a 6.1
    repair with max_age_days=30 removes, and nothing else may)."""
    folder = tmp_path / "var-tmp"
    folder.mkdir()
    victim = folder / "old.log"
    victim.write_text("kept unless the repair really ran\n")
    past = time.time() - 40 * 86400
    os.utime(victim, (past, past))
    return victim
