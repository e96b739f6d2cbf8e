"""The unit layer keeps its promise: `pytest tests/unit` passes for a user without root,
in a network namespace of its own (no network, not even loopback, so no server), with
nothing skipped and no `sop`, Ansible or PostgreSQL program started."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from tests.support.unit_guard import forbidden


@pytest.fixture
def throwaway_user() -> Iterator[tuple[str, Path]]:
    """Given root, yield a new system user without privileges and a folder it owns."""
    if os.geteuid() != 0:
        pytest.skip("creating a throwaway user needs root (run `make test-unit` as one instead)")
    name = f"sop-unit-{os.getpid()}"
    subprocess.run(
        ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent",
         "--shell", "/usr/sbin/nologin", name],
        check=True, capture_output=True,
    )  # fmt: skip
    # Not under pytest's own temporary folder: root's is closed to other users.
    home = Path(tempfile.mkdtemp(prefix="sop-unit-", dir="/var/tmp"))
    try:
        shutil.chown(home, name)
        yield name, home
    finally:
        _kill_processes_of(pwd.getpwnam(name).pw_uid)
        shutil.rmtree(home, ignore_errors=True)
        subprocess.run(["userdel", name], check=True, capture_output=True)


def _kill_processes_of(uid: int) -> None:
    """Given the throwaway user's id, kill what is left of its run (after a timeout)."""
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            uids = next(line for line in status.read_text().splitlines() if line[:4] == "Uid:")
        except (OSError, StopIteration):
            continue
        if int(uids.split()[1]) == uid:
            os.kill(int(status.parent.name), signal.SIGKILL)


def test_the_guard_names_what_a_unit_test_must_not_start() -> None:
    assert forbidden([sys.executable, "-m", "sop_runner.cli", "request"]) == "sop_runner.cli"
    assert forbidden(["/work/main/.venv/bin/ansible-playbook", "site.yml"]) == "ansible-playbook"
    assert forbidden("ansible-doc -M library disk_wipe") == "ansible-doc"
    assert forbidden([b"/usr/lib/postgresql/15/bin/pg_ctl", b"start"]) == "pg_ctl"
    assert forbidden([sys.executable, "-c", "print('sop')"]) is None
    assert forbidden(["ip", "netns", "exec", "x", "sop-lab-ansible-tree"]) is None


def test_unit_tests_pass_without_root_network_or_servers(
    throwaway_user: tuple[str, Path],
) -> None:
    user, home = throwaway_user
    # A clean environment: nothing of this session (SOP_*, ANSIBLE_*) reaches the run.
    env = [f"PATH={os.environ['PATH']}", f"HOME={home}", f"TMPDIR={home}", "LANG=C.UTF-8"]
    if "PYTHONPATH" in os.environ:  # a checkout other than the installed one
        env.append(f"PYTHONPATH={os.environ['PYTHONPATH']}")
    # --timeout: a unit test that hangs (waiting on a server it cannot reach) fails, named.
    run = subprocess.run(
        ["unshare", "--net", "runuser", "-u", user, "--", "env", "-i", *env,
         sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
         "-p", "tests.support.unit_guard", "--timeout", "60",
         "--basetemp", str(home / "pytest"), "tests/unit"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    summary = out.strip().splitlines()[-1]
    assert re.search(r"\b\d+ passed\b", summary), summary
    # A unit test runs for everyone: a skip here is a test some developer never runs.
    assert "skipped" not in summary, "\n".join(re.findall(r"^SKIPPED .*$", out, re.M))
    assert "unit_guard:" not in out
