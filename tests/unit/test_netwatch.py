"""The netmiko revert watchdog (SOP 3.1): where it runs, what finds a change it left,
and how that change is rolled back or reported.

The real rollback against a real router (rtr1) is in
tests/integration/test_config_network.py; here what needs no lab.  The test that
kills a cgroup needs root and a writable cgroup v2 (skipped otherwise); it puts
only a process of its own into a cgroup of its own.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.features import installed
from sop_runner.procedures import config_recover
from sop_runner.store.models import AuditEntry

MODULE_UTILS = REPO_ROOT / "plugins" / "module_utils"
sys.path.insert(0, str(MODULE_UTILS))
import sop_netmiko  # noqa: E402
import sop_netwatch  # noqa: E402

HYBRID_MOUNTS = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait(condition: Any, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_cgroup2_is_found_in_proc_mounts_wherever_it_is_mounted() -> None:
    assert sop_netwatch.cgroup2_mount(HYBRID_MOUNTS) == Path("/sys/fs/cgroup/unified")
    unified = "cgroup2 /sys/fs/cgroup cgroup2 rw,nosuid 0 0\n"
    assert sop_netwatch.cgroup2_mount(unified) == Path("/sys/fs/cgroup")
    assert sop_netwatch.cgroup2_mount(HYBRID_MOUNTS.replace("cgroup2 ", "none ")) is None


def test_a_watchdog_is_safe_only_outside_the_cgroup_of_the_run() -> None:
    assert sop_netwatch.outside("/sop-netwatch/ab12", "/system.slice/awx-job.service")
    assert not sop_netwatch.outside(
        "/system.slice/awx-job.service", "/system.slice/awx-job.service"
    )
    assert not sop_netwatch.outside("/job/sub", "/job")
    assert sop_netwatch.outside("/jobs", "/job")
    assert sop_netwatch.outside("/anything", "/"), "the root cgroup cannot be killed"
    assert not sop_netwatch.outside("", "/job"), "unknown (no cgroup v2) is not safe"


def test_under_systemd_the_watchdog_is_a_transient_unit_in_the_foreground() -> None:
    command = sop_netwatch.launch_command(
        Path("/var/lib/sop-netwatch/sop_netwatch.py"), Path("/x/h.pending.json"), "ab12", True
    )
    assert command[0] == "systemd-run" and "--unit=sop-netwatch-ab12" in command
    assert "--collect" in command
    assert command[command.index("--") + 1 :] == [
        sys.executable,
        "/var/lib/sop-netwatch/sop_netwatch.py",
        "/x/h.pending.json",
        "ab12",
        "--foreground",  # systemd keeps the unit while its main process lives: no fork
    ]
    plain = sop_netwatch.launch_command(Path("/w/s.py"), Path("/w/h.pending.json"), "ab12", False)
    assert plain == [sys.executable, "/w/s.py", "/w/h.pending.json", "ab12"]


@pytest.fixture
def watch_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The watchdog's directory, in tmp_path instead of /var/lib/sop-netwatch."""
    path = tmp_path / "netwatch"
    monkeypatch.setattr(sop_netmiko, "WATCH_DIR", path)
    monkeypatch.setattr(sop_netwatch, "WATCH_DIR", path)
    monkeypatch.setattr(config_recover, "WATCH_DIR", path)
    yield path
    for ready in path.glob("*.ready"):  # a watchdog this test started and left
        token = ready.name.split(".")[0]
        if sop_netwatch.alive(path, token):
            os.kill(int(ready.read_text().split()[0]), signal.SIGKILL)


def _pending(watch_dir: Path, token: str, deadline: float, port: int = 22) -> Path:
    watch_dir.mkdir(mode=0o700, exist_ok=True)
    state = {
        "token": token,
        "platform": "cisco_ios",
        "params": {"host": "127.0.0.1", "port": port, "username": "u", "password": "p"},
        "before": "hostname before\n",
        "deadline": deadline,
    }
    path = watch_dir / f"127.0.0.1_{port}.pending.json"
    path.write_text(json.dumps(state))
    return path


def test_only_changes_past_their_deadline_with_no_live_watchdog_are_orphans(
    watch_dir: Path,
) -> None:
    assert sop_netwatch.orphans(watch_dir) == ([], [])  # no directory at all
    waiting = _pending(watch_dir, "t-wait", time.time() + 60, port=2201)
    assert sop_netwatch.orphans(watch_dir) == ([], []), "its deadline has not come"
    overdue = _pending(watch_dir, "t-over", time.time() - 1, port=2202)
    assert sop_netwatch.orphans(watch_dir) == ([overdue], [])
    # A process carrying the token in its command line stands for a live watchdog.
    stand_in = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(30)", "t-over"], start_new_session=True
    )
    try:
        cmdline = Path(f"/proc/{stand_in.pid}/cmdline")
        assert _wait(lambda: b"t-over" in cmdline.read_bytes())  # once it has exec'd
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
    orphan = _pending(watch_dir, "t-lost", time.time() - 1, port=closed)
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
    found = config_recover.recover_all(ctx, "en", watch_dir, lines.append, retry=True)
    assert found == (1, 1) and any("127.0.0.1" in line and "NOT" in line for line in lines), lines
    with ctx.session() as session:
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    recorded = [e for e in entries if e["action"] == "config.recovery_failed"]
    assert recorded and recorded[-1]["data"]["token"] == "t-lost"
    assert "password" not in json.dumps(recorded), "the state's secret reached the audit trail"


def test_sop_looks_for_changes_left_behind_where_the_watchdogs_keep_them() -> None:
    assert config_recover.WATCH_DIR == sop_netwatch.WATCH_DIR


def test_start_of_sop_lists_the_directory_only_and_warns_of_unrecovered_changes(
    watch_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert config_recover.on_startup in installed().startup_hooks()
    monkeypatch.setattr(sys, "argv", ["sop", "list"])
    config_recover.on_startup()  # no directory
    watch_dir.mkdir()
    (watch_dir / "history").write_text("")
    _pending(watch_dir, "t-later", time.time() + 60)
    config_recover.on_startup()  # a change still in its window: none of its business
    assert capsys.readouterr() == ("", "")
    (watch_dir / "10.0.0.1_22.unrecovered.json").write_text(
        json.dumps({"token": "t-bad", "params": {"host": "10.0.0.1", "port": 22}})
    )
    config_recover.on_startup()
    warning = capsys.readouterr().err
    assert "10.0.0.1" in warning and "sop config recover" in warning, warning


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
    assert _alive(pid), "the watchdog was stopped before the configuration was restored"
    assert driver._claim("confirmed")


def _cgroup2_writable() -> Path | None:
    mount = sop_netwatch.cgroup2_mount()
    if mount is None or os.geteuid() != 0 or not os.access(mount, os.W_OK):
        return None
    return mount


CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
import sop_netmiko
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
        assert _wait(lambda: not (job / "cgroup.procs").read_text().strip())
        time.sleep(0.3)
        assert _alive(pid), "the watchdog died with the cgroup of the run"
        # Confirming stops it; it leaves and removes the cgroup it made for itself.
        driver = sop_netmiko.NetmikoDriver("cisco_ios", {"host": "192.0.2.9", "username": "u"})
        driver.token = token
        assert driver._claim("confirmed")
        assert _wait(lambda: not _alive(pid))
        assert _wait(lambda: not (mount / "sop-netwatch" / token).exists())
    finally:
        if (job / "cgroup.procs").read_text().strip():
            (job / "cgroup.kill").write_text("1")
        _wait(lambda: not (job / "cgroup.procs").read_text().strip())
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
    assert driver._claim("confirmed") and _wait(lambda: not _alive(pid))


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
    assert driver._claim("confirmed") and _wait(lambda: not _alive(pid))
