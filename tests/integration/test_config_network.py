"""SOP 3.1 on the lab router rtr1 (real FRR): both drivers, and commit-confirm that holds
when the run is killed between commit and confirm.

Two drivers reach the same router: ``frr`` (a login with a shell, ``frr-reload.py``,
the revert timer ON THE ROUTER) and netmiko (``cisco_ios`` over the ``netadmin``
vtysh login, the revert watchdog ON THE CONTROLLER).  Each is killed after commit
in two ways: its whole process tree (kill -9), and its whole cgroup (cgroup v2
``cgroup.kill``, what ``systemctl kill``, a cancelled AWX job or the OOM killer
do).  The run is started in a fresh cgroup of the test's own for that; only the
run goes into it.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import sop_netwatch
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config.models import ConfigDocument
from sop_runner.store.models import AuditEntry, Run
from tests.support.config_lab import CONFIRM, config_log, desired, ok, request_change, running
from tests.support.processes import alive, descendants
from tests.support.sop import point_inventory, run_through

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]

WATCH_DIR = Path("/var/lib/sop-netwatch")
HEALTH_WAIT, REVERT_IN = 6, 8  # the kill falls in the health wait, before the confirm


def cgroup2_mount() -> Path:
    """Return where cgroup v2 is mounted (from /proc/mounts); skip the test when nowhere."""
    mount = sop_netwatch.cgroup2_mount()
    if mount is None:
        pytest.skip("no cgroup v2 mounted here")
    return mount


def members(cgroup: Path) -> list[int]:
    """Given a cgroup, return the processes in it."""
    return [int(pid) for pid in (cgroup / "cgroup.procs").read_text().split()]


@pytest.fixture
def job_cgroup() -> Iterator[Path]:
    """A fresh cgroup v2 for the run under test, and for nothing else."""
    path = cgroup2_mount() / f"sop-test-job-{os.getpid()}-{secrets.token_hex(3)}"
    path.mkdir()
    yield path
    if members(path):  # what is left of the test's own run
        (path / "cgroup.kill").write_text("1")
    deadline = time.monotonic() + 5
    while path.exists():
        try:
            path.rmdir()
        except OSError:
            assert time.monotonic() < deadline, f"{path} still holds {members(path)}"
            time.sleep(0.1)


def watch_history() -> str:
    path = WATCH_DIR / "history"
    return path.read_text() if path.exists() else ""


def watchdog_pid() -> int:
    """Return the pid of the one netmiko watchdog in WATCH_DIR (first line of its .ready)."""
    (ready,) = WATCH_DIR.glob("*.ready")
    return int(ready.read_text().split()[0])


def _stop_watchdogs() -> None:
    """Kill the watchdogs an earlier test left (by the pids they wrote), then their files."""
    for ready in WATCH_DIR.glob("*.ready"):
        token = ready.name.split(".")[0]
        try:
            pid = int(ready.read_text().split()[0])
            if token in Path(f"/proc/{pid}/cmdline").read_text():
                os.kill(pid, signal.SIGKILL)
        except (OSError, ValueError, IndexError):
            pass
    for ready in WATCH_DIR.glob("*.ready"):  # and the cgroups they made for themselves
        group = cgroup2_mount() / "sop-netwatch" / ready.name.split(".")[0]
        deadline = time.monotonic() + 3
        while group.exists() and time.monotonic() < deadline:
            try:
                group.rmdir()
            except OSError:  # still holds the dying watchdog
                time.sleep(0.1)
    shutil.rmtree(WATCH_DIR, ignore_errors=True)


SAVED = "/root/sop-test-before.conf"  # on rtr1


@pytest.fixture
def frr_clean(lab: Any) -> Any:
    """rtr1 as the lab made it, before and after the test (restored if a test left it)."""
    original = (REPO_ROOT / "inventory/lab/host_vars/rtr1.yml").read_text()
    assert "10.77.2.0/24" in original
    lab.ssh("rtr1", "rm -rf /var/lib/sop-netconfig")
    before = running(lab)
    lab.ssh("rtr1", f"vtysh -c 'show running-config' | sed -n '/^frr version/,$p' > {SAVED}")
    yield before
    lab.ssh("rtr1", "pkill -f 'sop-netconfig' ; rm -rf /var/lib/sop-netconfig", check=False)
    if running(lab) != before:  # a failed test must not hand its change to the next one
        lab.ssh("rtr1", f"/usr/lib/frr/frr-reload.py --reload {SAVED}", check=False)
    lab.ssh("rtr1", f"rm -f {SAVED}")


@pytest.fixture
def netwatch_clean(frr_clean: str) -> Any:
    """No revert watchdog left from an earlier test, none left behind by this one."""
    _stop_watchdogs()
    yield frr_clean
    _stop_watchdogs()


def via_netmiko(tmp_path: Path, name: str, **values: Any) -> Path:
    """Given rtr1 host_vars changes, return an inventory that drives rtr1 through netmiko."""
    return desired(tmp_path, name, "rtr1", frr_config_driver="netmiko", **values)


def test_frr_change_commits_confirms_and_breaking_change_rolls_back(
    sop_env, lab, tmp_path, monkeypatch, frr_clean
):
    before = frr_clean
    changed = desired(
        tmp_path,
        "pr",
        "rtr1",
        frr_config_static_routes=[
            {"prefix": "10.77.2.0/24", "nexthop": "10.77.3.2"},
            {"prefix": "10.77.100.0/24", "nexthop": "Null0"},
            {"prefix": "10.77.200.0/24", "nexthop": "Null0"},
        ],
        frr_config_interfaces=[
            {"name": "eth0", "description": "management (sop-lab bridge)"},
            {"name": "eth1", "description": "transit to gw (SOP 3.1)"},
        ],
    )
    point_inventory(str(changed))
    first = request_change(sop_env, "rtr1", "pr-21")
    ok(run_through(sop_env.sop, str(first), *CONFIRM))  # no services: no gate
    after = running(lab)
    assert "ip route 10.77.200.0/24 Null0" in after and "transit to gw (SOP 3.1)" in after
    routes = lab.ssh("rtr1", "vtysh -c 'show ip route 10.77.200.0/24'").stdout
    assert "10.77.200.0/24" in routes and "blackhole" in routes
    assert lab.ssh("rtr1", "test -e /var/lib/sop-netconfig/pending", check=False).returncode == 1
    history = lab.ssh("rtr1", "cat /var/lib/sop-netconfig/history").stdout
    assert "confirmed" in history and "rolled back" not in history
    log = config_log(sop_env)
    assert [e.device for e in log] == ["rtr1"]
    assert "+ip route 10.77.200.0/24 Null0" in log[0].substance
    # Remove the route the health check needs: committed, checked, rolled back.
    breaking = desired(
        tmp_path,
        "breaking",
        "rtr1",
        frr_config_static_routes=[{"prefix": "10.77.100.0/24", "nexthop": "Null0"}],
    )
    point_inventory(str(breaking))
    second = request_change(sop_env, "rtr1", "pr-22")
    failed = run_through(sop_env.sop, str(second), *CONFIRM)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert running(lab) == after, "running config differs from the one before the change"
    assert len(config_log(sop_env)) == 1
    with sop_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == second)).one()
        assert "route 10.77.2.0/24 is not in the routing table" in (run.error or "")
        assert "rolled back" in (run.error or "")
    history = lab.ssh("rtr1", "cat /var/lib/sop-netconfig/history").stdout
    assert history.strip().splitlines()[-1].endswith("rolled back")
    # Back to the lab's configuration through the same flow.
    point_inventory(str(REPO_ROOT / "inventory" / "lab"))
    ok(run_through(sop_env.sop, str(request_change(sop_env, "rtr1", "main")), *CONFIRM))
    assert running(lab) == before


def test_frr_through_netmiko_merges_confirms_and_rolls_back(
    sop_env, lab, tmp_path, monkeypatch, netwatch_clean
):
    before = netwatch_clean
    changed = via_netmiko(
        tmp_path,
        "nm",
        frr_config_static_routes=[
            {"prefix": "10.77.2.0/24", "nexthop": "10.77.3.2"},
            {"prefix": "10.77.100.0/24", "nexthop": "Null0"},
            {"prefix": "10.77.201.0/24", "nexthop": "Null0"},
        ],
        frr_config_interfaces=[
            {"name": "eth0", "description": "management (sop-lab bridge)"},
            {"name": "eth1", "description": "transit to gw (netmiko)"},
        ],
    )
    point_inventory(str(changed))
    ok(run_through(sop_env.sop, str(request_change(sop_env, "rtr1", "pr-41")), *CONFIRM))
    after = running(lab)
    assert "ip route 10.77.201.0/24 Null0" in after and "transit to gw (netmiko)" in after
    assert "transit to gw\n" not in after  # the description was replaced, not doubled
    assert watch_history().strip().endswith("confirmed")
    assert not list(WATCH_DIR.glob("*.pending.json")), "the watchdog's change is still open"
    log = config_log(sop_env)
    assert [e.device for e in log] == ["rtr1"]
    assert "+ip route 10.77.201.0/24 Null0" in log[0].substance
    assert "+ description transit to gw (netmiko)" in log[0].substance
    with sop_env.ctx().session() as session:
        steps = session.scalars(select(ConfigDocument)).one().steps
    assert any("runs outside the run (cgroup /sop-netwatch/" in s for s in steps), steps
    # Second run of the same desired state: nothing to send, nothing logged.
    ok(run_through(sop_env.sop, str(request_change(sop_env, "rtr1", "pr-41b")), *CONFIRM))
    assert running(lab) == after
    assert len(config_log(sop_env)) == 1 and watch_history().count("confirmed") == 1
    # Shut the transit interface down: the health check fails, netmiko rolls back.
    breaking = via_netmiko(
        tmp_path,
        "nm-breaking",
        frr_config_interfaces=[{"name": "eth1", "shutdown": True}],
    )
    point_inventory(str(breaking))
    second = request_change(sop_env, "rtr1", "pr-42")
    failed = run_through(sop_env.sop, str(second), *CONFIRM)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert running(lab) == after, "running config differs from the one before the change"
    assert "is up" in lab.ssh("rtr1", "vtysh -c 'show interface eth1'").stdout
    assert len(config_log(sop_env)) == 1
    with sop_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == second)).one()
        assert "interface eth1 is down" in (run.error or ""), run.error
        assert "rolled back" in (run.error or "")
    assert watch_history().strip().endswith("rolled back")
    # Back to the lab's configuration, whole, through the replacing frr driver.
    point_inventory(str(REPO_ROOT / "inventory" / "lab"))
    ok(run_through(sop_env.sop, str(request_change(sop_env, "rtr1", "main")), *CONFIRM))
    assert running(lab) == before


# -- a run killed between commit and confirm ------------------------------------------


def start_play(inventory: Path, extravars: dict[str, Any], cgroup: Path) -> subprocess.Popen[bytes]:
    """Given a desired inventory and a request's extra vars, start config_apply.yml for rtr1
    in cgroup, inside an ssh-agent of its own (where the gate loads the step's certificate)."""
    procs = str(cgroup / "cgroup.procs")

    def enter_cgroup() -> None:  # in the child, before exec: only the run goes in
        with open(procs, "w") as out:
            out.write(str(os.getpid()))

    return subprocess.Popen(
        [
            "ssh-agent",
            str(Path(sys.executable).parent / "ansible-playbook"),
            "-i",
            str(inventory / "hosts.yml"),
            "--limit",
            "rtr1",
            "-e",
            json.dumps(extravars),
            "playbooks/config_apply.yml",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        env=dict(os.environ, SOP_OPERATOR="budi"),  # the petugas whose certificate it asks
        preexec_fn=enter_cgroup,  # the test is single-threaded here; moves the child only
    )


def wait_for_commit(lab: Any, play: subprocess.Popen[bytes], marker: str) -> None:
    """Given a started play, return once rtr1's running config carries marker."""
    deadline = time.monotonic() + 30
    while marker not in running(lab):
        assert play.poll() is None, "the play ended before it committed"
        assert time.monotonic() < deadline, "the change was never committed"
        time.sleep(0.2)


def kill_run(play: subprocess.Popen[bytes], cgroup: Path, how: str) -> float:
    """Given the play and its cgroup, kill the run ('tree' or 'cgroup'); return when."""
    in_cgroup = members(cgroup)
    assert play.pid in in_cgroup and len(in_cgroup) > 1, in_cgroup
    killed_at = time.monotonic()
    doomed: set[int] = set()
    if how == "cgroup":
        # Every process of the cgroup at once, as systemd, AWX or the OOM killer do it.
        doomed.update(in_cgroup)
        (cgroup / "cgroup.kill").write_text("1")
    else:
        # ansible-playbook and the module process it started, all at once
        for _ in range(3):  # again, for anything forked while the first kills went out
            for pid in descendants(play.pid):
                doomed.add(pid)
                # A process listed a moment ago may have ended since (a short-lived ssh).
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
    play.wait()
    deadline = time.monotonic() + 3
    while [p for p in doomed if alive(p)] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [p for p in doomed if alive(p)], "a process of the run survived"
    return killed_at


@pytest.mark.parametrize("how", ["tree", "cgroup"])
@pytest.mark.parametrize("driver", ["frr", "netmiko"])
def test_run_killed_between_commit_and_confirm_leaves_router_rolled_back(
    sop_env, lab, tmp_path, monkeypatch, netwatch_clean, job_cgroup, driver, how
):
    before = netwatch_clean
    marker = f"never confirmed ({driver}, {how} kill)"
    inventory = desired(
        tmp_path,
        "slow",
        "rtr1",
        frr_config_interfaces=[
            {"name": "eth0", "description": "management (sop-lab bridge)"},
            {"name": "eth1", "description": marker},
        ],
        frr_config_health_wait=HEALTH_WAIT,
        frr_config_revert_in=REVERT_IN,
        frr_config_driver="netmiko" if driver == "netmiko" else "frr",
    )
    point_inventory(str(inventory))
    play = start_play(
        inventory, sop_env.extravars(request_change(sop_env, "rtr1", "pr-31")), job_cgroup
    )
    wait_for_commit(lab, play, marker)
    killed_at = kill_run(play, job_cgroup, how)
    if driver == "frr":
        assert lab.ssh("rtr1", "cat /var/lib/sop-netconfig/pending").stdout.strip()
    else:
        pending = list(WATCH_DIR.glob("*.pending.json"))
        assert len(pending) == 1 and oct(pending[0].stat().st_mode & 0o777) == "0o600"
        assert alive(watchdog_pid()), f"the watchdog died with the run ({how} kill)"
    # Within the revert window (counted from the commit, before the kill) plus the restore.
    while running(lab) != before:
        assert time.monotonic() - killed_at < REVERT_IN + 12, "the router was not rolled back"
        time.sleep(0.5)
    if driver == "frr":
        history = lab.ssh("rtr1", "cat /var/lib/sop-netconfig/history").stdout
        assert "rolled back by timer" in history and "confirmed" not in history
        assert lab.ssh("rtr1", "test -e /var/lib/sop-netconfig/pending", check=False).returncode
        return
    deadline = time.monotonic() + 10
    while "rolled back by watchdog" not in watch_history():
        assert time.monotonic() < deadline, watch_history()
        time.sleep(0.2)
    assert "confirmed" not in watch_history() and "DIFFERS" not in watch_history()
    assert not list(WATCH_DIR.glob("*.pending.json"))


@pytest.mark.parametrize("how", ["recover", "startup"])
def test_change_left_by_a_dead_watchdog_is_rolled_back_by_recovery(
    sop_env, lab, tmp_path, monkeypatch, netwatch_clean, job_cgroup, how
):
    before = netwatch_clean
    marker = f"left by a dead watchdog ({how})"
    inventory = via_netmiko(
        tmp_path,
        "orphan",
        frr_config_interfaces=[{"name": "eth1", "description": marker}],
        frr_config_health_wait=HEALTH_WAIT,
        frr_config_revert_in=REVERT_IN,
    )
    point_inventory(str(inventory))
    play = start_play(
        inventory, sop_env.extravars(request_change(sop_env, "rtr1", "pr-71")), job_cgroup
    )
    wait_for_commit(lab, play, marker)
    # The watchdog dies first (the controller's OOM killer, an admin's kill), then the
    # run: nobody is left to confirm or to roll back.
    killed = watchdog_pid()
    os.kill(killed, signal.SIGKILL)
    kill_run(play, job_cgroup, "cgroup")
    assert not alive(killed)
    (pending,) = WATCH_DIR.glob("*.pending.json")
    state = json.loads(pending.read_text())
    deadline = float(state["deadline"])
    while time.time() < deadline + 1:  # a live watchdog would have acted within 0.2 s
        time.sleep(0.2)
    assert marker in running(lab) and pending.exists(), watch_history()
    if how == "recover":
        result = ok(sop_env.sop("config", "recover"))
        said = result.stdout
    else:  # any command: the start of `sop` looks for such changes first
        result = ok(sop_env.sop("config", "log"))
        said = result.stderr
    assert f"{lab.address('rtr1')}" in said and "dikembalikan" in said, said
    assert running(lab) == before, "the recovery did not restore the configuration before"
    assert not list(WATCH_DIR.glob("*.pending.json")), "the change is still pending"
    assert "rolled back by recovery" in watch_history(), watch_history()
    assert not (cgroup2_mount() / "sop-netwatch" / state["token"]).exists(), "cgroup left"
    with sop_env.ctx().session() as session:
        actions = [json.loads(e.content)["action"] for e in session.scalars(select(AuditEntry))]
    assert "config.recovered" in actions, actions
    # Nothing left: the next start of `sop` says nothing about it.
    again = ok(sop_env.sop("config", "recover"))
    assert lab.address("rtr1") not in again.stdout + again.stderr
