"""The petugas as an attacker on the control node: a throwaway ordinary Unix user.

Attacks are played as this user (SECURITY-MODEL.md): created with useradd,
removed afterwards, commands run through `runuser -u USER --` with exactly the
environment the test gives.
"""

from __future__ import annotations

import pwd
import secrets
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

from sop_runner.config import REPO_ROOT

RUNUSER = shutil.which("runuser") or "/usr/sbin/runuser"


@contextmanager
def throwaway_user() -> Iterator[str]:
    """Yield the name of a new ordinary Unix user (with a home); remove it afterwards."""
    name = f"sopt{secrets.token_hex(4)}"
    subprocess.run(["useradd", "--create-home", "--shell", "/bin/sh", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["pkill", "-KILL", "-u", name], capture_output=True, check=False)
        subprocess.run(["userdel", "--remove", name], capture_output=True, check=False)


def sop(
    *args: str, env: dict[str, str], user: str | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the real `sop` (as root, or as user through runuser) with exactly env added."""
    home = pwd.getpwnam(user).pw_dir if user else "/root"
    clean = {"PATH": "/usr/bin:/bin", "HOME": home, "LANG": "C.UTF-8", **env}
    command = [sys.executable, "-m", "sop_runner.cli", *args]
    if user:
        command = [
            RUNUSER,
            "-u",
            user,
            "--",
            "env",
            "-i",
            *(f"{k}={v}" for k, v in clean.items()),
            *command,
        ]
    return subprocess.run(
        command, env=clean, input=stdin, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300
    )


def as_user(user: str, script: str, stdin: str = "") -> None:
    """Run a shell line as user (he writes his own files)."""
    subprocess.run(
        [RUNUSER, "-u", user, "--", "sh", "-c", f"umask 022; cd; {script}"],
        input=stdin,
        text=True,
        check=True,
    )
