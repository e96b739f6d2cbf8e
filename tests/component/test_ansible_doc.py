"""Every module in library/ documents itself: `ansible-doc` (a subprocess, with the
repository's ansible.cfg and doc fragments) renders its options, examples and return
values."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT

LIBRARY = REPO_ROOT / "library"
MODULES = sorted(p.stem for p in LIBRARY.glob("*.py") if not p.name.startswith("_"))


@pytest.mark.parametrize("name", MODULES)
def test_ansible_doc_renders(name: str) -> None:
    result = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", str(LIBRARY), name],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,  # ansible.cfg names our doc fragments
        env={**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")},
    )
    assert result.returncode == 0, result.stderr
    for section in ("OPTIONS", "EXAMPLES", "RETURN VALUES"):
        assert section in result.stdout, f"{name}: ansible-doc shows no {section}"
