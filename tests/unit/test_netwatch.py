"""The netmiko revert watchdog (SOP 3.1), without starting one: how it decides where it
runs, and what the start of `sop` says of the changes it left.

The watchdog's processes, the rollback of a change left behind and a kill of a cgroup
are in tests/component/test_netwatch.py; the real rollback against a real router
(rtr1) in tests/integration/test_config_network.py.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ansible.module_utils import sop_netwatch

from sop_runner.features import installed
from sop_runner.procedures.config import recover
from tests.support.netwatch import pending_change, watchdogs_in

HYBRID_MOUNTS = """\
tmpfs /sys/fs/cgroup tmpfs rw,relatime,mode=755 0 0
cgroup /sys/fs/cgroup/memory cgroup rw,relatime,memory 0 0
cgroup2 /sys/fs/cgroup/unified cgroup2 rw,relatime 0 0
"""


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
    with watchdogs_in(tmp_path / "netwatch", monkeypatch) as path:
        yield path


def test_sop_looks_for_changes_left_behind_where_the_watchdogs_keep_them() -> None:
    assert recover.WATCH_DIR == sop_netwatch.WATCH_DIR


def test_start_of_sop_lists_the_directory_only_and_warns_of_unrecovered_changes(
    watch_dir: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert recover.on_startup in installed().startup_hooks()
    monkeypatch.setattr(sys, "argv", ["sop", "list"])
    recover.on_startup()  # no directory
    watch_dir.mkdir()
    (watch_dir / "history").write_text("")
    pending_change(watch_dir, "t-later", time.time() + 60)
    recover.on_startup()  # a change still in its window: none of its business
    assert capsys.readouterr() == ("", "")
    (watch_dir / "10.0.0.1_22.unrecovered.json").write_text(
        json.dumps({"token": "t-bad", "params": {"host": "10.0.0.1", "port": 22}})
    )
    recover.on_startup()
    warning = capsys.readouterr().err
    assert "10.0.0.1" in warning and "sop config recover" in warning, warning
