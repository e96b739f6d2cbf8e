"""disk_wipe's documentation as `ansible-doc` renders it (a subprocess, hence a component test)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from sop_runner.config import REPO_ROOT


def test_ansible_doc_renders_the_refusals_and_the_purge() -> None:
    cp = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", "disk_wipe"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert cp.returncode == 0, cp.stderr
    assert "allowed_devices" in cp.stdout and "BLKSECDISCARD" in cp.stdout
