"""restic on a lab host for a test's own checks, its password never on a command line.

The password goes to the host as a 0600 file over SFTP (the batch on stdin) and
restic reads it with --password-file: a `RESTIC_PASSWORD='…' restic …` remote
command was readable by every user of both machines (ssh's and the shell's argv).
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tempfile
from typing import Any


def restic_on(
    lab: Any,
    host: str,
    repo: str,
    password: str,
    args: str,
    *,
    check: bool = True,
    timeout: float = 120,
) -> subprocess.CompletedProcess[str]:
    """Given a lab host, a repository, its password and restic arguments, return the
    finished `restic -r REPO ARGS` run on that host."""
    remote = f"/root/.sop-test-restic-{hashlib.sha256(repo.encode()).hexdigest()[:12]}.pass"
    with tempfile.NamedTemporaryFile("w", prefix="sop-restic-", delete=False) as handle:
        os.chmod(handle.name, 0o600)
        handle.write(password)
    try:
        sent = subprocess.run(
            ["sftp", "-F", lab.ssh_config, "-b", "-", host],
            input=f"put {handle.name} {remote}\nchmod 600 {remote}\n",
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    finally:
        os.unlink(handle.name)
    assert sent.returncode == 0, sent.stderr
    return lab.ssh(
        host, f"restic -r {repo} --password-file {remote} {args}", check=check, timeout=timeout
    )
