"""The netmiko revert watchdog (SOP 3.1) as processes: it starts detached, a confirm
stops it, it outlives a kill of the run's cgroup, and a change it left behind is found,
rolled back or reported.

The real rollback against a real router (rtr1) is in
tests/integration/test_config_network.py.  The test that kills a cgroup needs root
and a writable cgroup v2 (skipped otherwise); it puts only a process of its own into
a cgroup of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import sop_netmiko, sop_netwatch
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config import recover
from sop_runner.store.models import AuditEntry
from tests.support.netwatch import pending_change, watchdogs_in
from tests.support.processes import alive, parent, wait_for

MODULE_UTILS = REPO_ROOT / "plugins" / "module_utils"


@pytest.fixture
def watch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The watchdog's directory, in tmp_path instead of /var/lib/sop-netwatch."""
    with watchdogs_in(tmp_path / "netwatch", monkeypatch) as path:
        yield path


def test_only_changes_past_their_deadline_with_no_live_watchdog_are_orphans(
    watch_dir: Path,
) -> None:
    assert sop_netwatch.orphans(watch_dir) == ([], [])  # no directory at all
    waiting = pending_change(watch_dir, "t-wait", time.time() + 60, port=2201)
    assert sop_netwatch.orphans(watch_dir) == ([], []), "its deadline has not come"
    overdue = pending_change(watch_dir, "t-over", time.time() - 1, port=2202)
    assert sop_netwatch.orphans(watch_dir) == ([overdue], [])
    # A process carrying the token in its command line stands for a live watchdog.
    stand_in = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "t-over"], start_new_session=True
    )
    try:
        cmdline = Path(f"/proc/{stand_in.pid}/cmdline")
        assert wait_for(lambda: b"t-over" in cmdline.read_bytes())  # once it has exec'd
        (watch_dir / "t-over.ready").write_text(f"{stand_in.pid}\n/\n")
        assert sop_netwatch.orphans(watch_dir) == ([], [])
    finally:
        stand_in.kill()
        stand_in.wait()
    # A pid reused by an unrelated process is not the watchdog.
    (watch_dir / "t-over.ready").write_text(f"{os.getpid()}\n/\n")
    assert sop_netwatch.orphans(watch_dir) == ([overdue], [])
    failed = watch_dir / "127.0.0.1_2203.unrecovered.json"
    failed.write_text(waiting.read_text())
    assert sop_netwatch.orphans(watch_dir) == ([overdue], [failed])


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_orphan_that_cannot_be_rolled_back_is_kept_blocks_the_device_and_is_reported(
    watch_dir: Path, sop_env: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    closed = 1  # nothing listens on 127.0.0.1:1: the login fails at once
    orphan = pending_change(watch_dir, "t-lost", time.time() - 1, port=closed)
    outcome = sop_netwatch.recover(watch_dir, orphan)
    assert not outcome.restored and outcome.host == "127.0.0.1" and outcome.message
    kept = watch_dir / f"127.0.0.1_{closed}.unrecovered.json"
    assert not orphan.exists() and kept.exists()
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    assert "t-lost recovery could NOT roll back" in (watch_dir / "history").read_text()
    # No new change on that device until it is sorted out.
    driver = sop_netmiko.NetmikoDriver(
        "cisco_ios", {"host": "127.0.0.1", "port": closed, "username": "u"}
    )
    with pytest.raises(sop_netmiko.NetmikoError, match="could not be rolled back"):
        driver.commit("hostname x\n", revert_in=30)
    # `sop config recover` tries again, says so loudly and records it in the audit trail.
    lines: list[str] = []
    ctx = sop_env.ctx()
    found = recover.recover_all(ctx, "en", watch_dir, lines.append, retry=True)
    assert found == (1, 1) and any("127.0.0.1" in line and "NOT" in line for line in lines), lines
    with ctx.session() as session:
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    recorded = [e for e in entries if e["action"] == "config.recovery_failed"]
    assert recorded and recorded[-1]["data"]["token"] == "t-lost"
    assert "password" not in json.dumps(recorded), "the state's secret reached the audit trail"


def _start(driver: Any) -> int:
    driver._start_watchdog(revert_in=600)
    return int((sop_netmiko.WATCH_DIR / f"{driver.token}.ready").read_text().split()[0])


class DyingConnection:
    """Stands in for a device session cut while the rollback sends its commands."""

    base_prompt = "rtr1"

    def send_command(self, command: str) -> str:
        return "hostname changed\n"

    def send_config_set(self, commands: list[str], cmd_verify: bool = False) -> str:
        raise OSError("the run was killed while restoring")


def test_a_rollback_cut_short_leaves_the_change_to_the_watchdog(watch_dir: Path) -> None:
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.5", "username": "u"})
    driver.token, driver.before = secrets.token_hex(4), "hostname before\n"
    pid = _start(driver)
    driver.connection = DyingConnection()
    with pytest.raises(OSError, match="killed while restoring"):
        driver.rollback()
    assert driver.pending() == driver.token, "the change was taken from its watchdog"
    assert alive(pid), "the watchdog was stopped before the configuration was restored"
    assert driver._claim("confirmed")


def _cgroup2_writable() -> Path | None:
    mount = sop_netwatch.cgroup2_mount()
    if mount is None or os.geteuid() != 0 or not os.access(mount, os.W_OK):
        return None
    return mount


CHILD = """
import sys, time
from pathlib import Path
import ansible.module_utils
ansible.module_utils.__path__.append(sys.argv[1])  # as Ansible's payload names it
from ansible.module_utils import sop_netmiko
sop_netmiko.WATCH_DIR = Path(sys.argv[2])
driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.9", "username": "u"})
driver.token, driver.before = sys.argv[3], "hostname before\\n"
driver._start_watchdog(revert_in=600)
print("started", flush=True)
time.sleep(600)
"""


@pytest.mark.skipif(_cgroup2_writable() is None, reason="needs root and a writable cgroup v2")
def test_watchdog_outlives_a_kill_of_the_whole_cgroup_of_the_run(watch_dir: Path) -> None:
    mount = _cgroup2_writable()
    assert mount is not None
    job = mount / f"sop-test-unit-{os.getpid()}-{secrets.token_hex(3)}"
    job.mkdir()
    token = secrets.token_hex(4)

    def enter_job() -> None:  # in the child, before exec: only it goes into the cgroup
        with open(job / "cgroup.procs", "w") as out:
            out.write(str(os.getpid()))

    try:
        run = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(MODULE_UTILS), str(watch_dir), token],
            stdout=subprocess.PIPE,
            text=True,
            preexec_fn=enter_job,  # the test is single-threaded here
        )
        assert run.stdout is not None and run.stdout.readline().strip() == "started"
        pid = int((watch_dir / f"{token}.ready").read_text().split()[0])
        (job / "cgroup.kill").write_text("1")  # what systemd, AWX, the OOM killer do
        run.wait(timeout=5)
        assert wait_for(lambda: not (job / "cgroup.procs").read_text().strip())
        time.sleep(0.3)
        assert alive(pid), "the watchdog died with the cgroup of the run"
        # Confirming stops it; it leaves and removes the cgroup it made for itself.
        driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.9", "username": "u"})
        driver.token = token
        assert driver._claim("confirmed")
        assert wait_for(lambda: not alive(pid))
        assert wait_for(lambda: not (mount / "sop-netwatch" / token).exists())
    finally:
        if (job / "cgroup.procs").read_text().strip():
            (job / "cgroup.kill").write_text("1")
        wait_for(lambda: not (job / "cgroup.procs").read_text().strip())
        job.rmdir()


STAND_IN_SYSTEMD_RUN = """#!/bin/sh
# A stand-in for systemd-run (systemd is not PID 1 here): record the arguments,
# then start what follows "--" detached, as systemd would start the unit.
printf '%s\\n' "$@" > "$(dirname "$0")/argv"
while [ "$1" != "--" ]; do shift; done
shift
setsid "$@" </dev/null >/dev/null 2>&1 &
"""


def test_where_systemd_runs_the_watchdog_is_started_as_a_unit_and_stays_in_front(
    watch_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "systemd-run").write_text(STAND_IN_SYSTEMD_RUN)
    (bin_dir / "systemd-run").chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setattr(sop_netwatch, "systemd_booted", lambda: True)
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.6", "username": "u"})
    driver.token, driver.before = secrets.token_hex(4), "hostname before\n"
    pid = _start(driver)
    assert f"--unit=sop-netwatch-{driver.token}" in (bin_dir / "argv").read_text().split()
    command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"--foreground" in command, "under systemd the watchdog must not fork away"
    assert driver._claim("confirmed") and wait_for(lambda: not alive(pid))


def test_a_watchdog_left_in_the_cgroup_of_the_run_is_said_in_the_steps_and_warned(
    watch_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As where there is no root and no cgroup v2 to move to: it stays in the run's cgroup.
    job, start = "/system.slice/awx-job.service", sop_netwatch.start
    monkeypatch.setattr(sop_netwatch, "own_cgroup", lambda: job)
    monkeypatch.setattr(sop_netwatch, "start", lambda *args: start(*args) and job)
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.4", "username": "u"})
    driver.token, driver.before = secrets.token_hex(4), "hostname before\n"
    pid = _start(driver)
    assert "could not leave the run's cgroup" in driver.commit_warning
    assert "sop config recover" in driver.commit_warning
    assert driver.commit_note.endswith(driver.commit_warning)
    assert driver._claim("confirmed") and wait_for(lambda: not alive(pid))


def test_watchdog_starts_detached_and_a_confirm_stops_it(watch_dir: Path) -> None:
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.7", "username": "u"})
    driver.token, driver.before = "t1", "hostname before\n"
    driver._start_watchdog(revert_in=600)
    state = watch_dir / "192.0.2.7_22.pending.json"
    assert oct(state.stat().st_mode & 0o777) == "0o600"
    assert oct(watch_dir.stat().st_mode & 0o777) == "0o700"
    pid = int((watch_dir / "t1.ready").read_text().split()[0])
    assert alive(pid) and parent(pid) != os.getpid(), "the watchdog is still a child of the run"
    assert driver.pending() == "t1"
    assert driver._claim("confirmed")
    assert wait_for(lambda: not alive(pid), 2.5) and driver.pending() == ""
    assert not driver._claim("confirmed"), "a change can be claimed once only"


def test_an_unfinished_change_blocks_the_next_and_says_whether_its_watchdog_lives(
    watch_dir: Path,
) -> None:
    driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.8", "username": "u"})
    watch_dir.mkdir()
    (watch_dir / "192.0.2.8_22.pending.json").write_text('{"token": "t2"}')
    with pytest.raises(sop_netmiko.NetmikoError, match="watchdog is gone"):
        driver.commit("hostname x\n", revert_in=30)
    # a process carrying the token in its command line stands for the live watchdog
    sleeper = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "t2"], start_new_session=True
    )
    try:
        cmdline = Path(f"/proc/{sleeper.pid}/cmdline")
        wait_for(lambda: b"t2" in cmdline.read_bytes(), 2)  # until it has exec'd
        (watch_dir / "t2.ready").write_text(str(sleeper.pid))
        with pytest.raises(sop_netmiko.NetmikoError, match="still waits for confirmation"):
            driver.commit("hostname x\n", revert_in=30)
    finally:
        sleeper.kill()
        sleeper.wait()
