"""The controller-side revert watchdog of the netmiko driver (SOP 3.1 commit-confirm).

A netmiko device has no revert timer of its own, so before the first command is
sent a watchdog process holds the configuration before (a 0600 state file
``<device>.pending.json`` in WATCH_DIR) and restores it at the deadline unless the
driver confirmed or rolled back first.  Whoever acts first claims the change by
renaming that file, so exactly one of them acts.

Where it runs, so that killing the run does not kill it:

- not below the run in the process tree (double fork, its own session): a kill
  of the run's process tree leaves it;
- not in the run's cgroup: systemd stopping a unit, AWX or a container runtime
  cancelling a job and the OOM killer's group kill end *every* process of a
  cgroup (cgroup v2 ``cgroup.kill``).  Where systemd is PID 1 the watchdog is a
  transient unit of its own (``systemd-run --unit``: systemd owns the cgroup
  tree there, and a unit is how one asks for a cgroup).  Elsewhere, as root, it
  moves itself into ``<cgroup2 mount>/sop-netwatch/<token>`` before it reports
  ready; nothing is sent to the device before that.  Where neither is possible
  (no root, no cgroup v2) the driver says so in its steps.

A change nobody will finish -- its deadline passed and its watchdog is dead (the
controller rebooted, the watchdog was killed) -- is an *orphan*: ``recover``
rolls it back, and a change that cannot be rolled back is kept as
``<device>.unrecovered.json`` (it blocks new changes to that device) and said in
the history.  ``sop config recover`` and the start of ``sop`` call it.

This file and sop_netmiko.py are self-contained (standard library and netmiko):
the watchdog runs them from WATCH_DIR after Ansible has removed its payload.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

WATCH_DIR = Path("/var/lib/sop-netwatch")
CGROUP_PARENT = "sop-netwatch"
STATES = (".pending.json", ".firing.json", ".recovering.json", ".unrecovered.json")


class WatchdogError(Exception):
    """The watchdog could not be started (nothing was sent to the device)."""


def device_name(host: str, port: int) -> str:
    """Given a device's address and port, return the stem of its state files."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{host}_{port}")


def history(watch_dir: Path, line: str) -> None:
    """Append one line to the history (what was confirmed, rolled back, left)."""
    watch_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with (watch_dir / "history").open("a") as out:
        out.write(f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} {line}\n")


# -- cgroups ---------------------------------------------------------------------------


def cgroup2_mount(mounts: str | None = None) -> Path | None:
    """Given /proc/mounts' text (read when None), return where cgroup v2 is mounted."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text()
        except OSError:
            return None
    for line in mounts.splitlines():
        fields = line.split()
        if len(fields) > 2 and fields[2] == "cgroup2":
            return Path(fields[1])
    return None


def own_cgroup() -> str:
    """Return this process's cgroup v2 path ('' when there is no cgroup v2)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return line[3:].strip()
    return ""


def outside(watchdog: str, run: str) -> bool:
    """Given the watchdog's and the run's cgroups, return whether killing the run's spares it.

    The root cgroup cannot be killed; an unknown cgroup ('') is not safe.
    """
    if not watchdog or not run:
        return False
    if run == "/":
        return True
    return watchdog != run and not watchdog.startswith(run.rstrip("/") + "/")


def isolate(token: str) -> str:
    """Move this process into a cgroup of its own; return its cgroup afterwards.

    Raise nothing: where it cannot move (no root, no cgroup v2) it stays.
    """
    mount = cgroup2_mount()
    if mount is not None:
        group = mount / CGROUP_PARENT / token
        with contextlib.suppress(OSError):
            group.mkdir(parents=True, exist_ok=True)
            (group / "cgroup.procs").write_text(str(os.getpid()))
        _prune(mount / CGROUP_PARENT, keep=token)
    return own_cgroup()


def _prune(parent: Path, keep: str) -> None:
    """Remove the empty cgroups of watchdogs that were killed (an rmdir fails on a live one)."""
    with contextlib.suppress(OSError):
        for group in parent.iterdir():
            if group.is_dir() and group.name != keep and time.time() - group.stat().st_mtime > 60:
                with contextlib.suppress(OSError):
                    group.rmdir()


def remove_cgroup(token: str) -> None:
    """Given a dead watchdog's token, remove the empty cgroup it made for itself."""
    mount = cgroup2_mount()
    if mount is not None:
        with contextlib.suppress(OSError):  # gone already, or not empty after all
            (mount / CGROUP_PARENT / token).rmdir()


def _leave_cgroup(token: str) -> None:
    """Move into the parent cgroup and remove this watchdog's own (a cgroup with a process
    in it cannot be removed)."""
    mount = cgroup2_mount()
    if mount is None or not own_cgroup().endswith(f"/{CGROUP_PARENT}/{token}"):
        return
    with contextlib.suppress(OSError):
        (mount / CGROUP_PARENT / "cgroup.procs").write_text(str(os.getpid()))
        (mount / CGROUP_PARENT / token).rmdir()


# -- starting, finding, claiming -------------------------------------------------------


def systemd_booted() -> bool:
    """Return whether systemd is PID 1 here (sd_booted's test)."""
    return Path("/run/systemd/system").is_dir()


def launch_command(script: Path, state_file: Path, token: str, systemd: bool) -> list[str]:
    """Given the watchdog script, its change and whether systemd runs, return its command."""
    command = [sys.executable, str(script), str(state_file), token]
    if not systemd:
        return command
    user = [] if os.geteuid() == 0 else ["--user"]
    return [
        "systemd-run",
        *user,
        f"--unit=sop-netwatch-{token}",
        f"--description=sop-pusatdata revert watchdog {token}",
        "--collect",
        "--quiet",
        "--",
        *command,
        "--foreground",  # systemd keeps the unit while its main process lives: no fork
    ]


def _write(path: Path, text: str) -> None:
    """Write a file whole or not at all (a watchdog starting now may read it)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}")
    partial.write_text(text)
    os.replace(partial, path)


def start(watch_dir: Path, state_file: Path, token: str, sources: dict[str, str]) -> str:
    """Given a written state file and the scripts' sources, start its watchdog.

    Return the watchdog's cgroup ('' when unknown).  Raise WatchdogError when it
    did not report ready (the state file is removed then).
    """
    for name, text in sources.items():
        _write(watch_dir / name, text)
    script = watch_dir / "sop_netwatch.py"
    ready = watch_dir / f"{token}.ready"
    launched = False
    if systemd_booted() and shutil.which("systemd-run"):
        launched = (
            subprocess.run(
                launch_command(script, state_file, token, True),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=30,
                check=False,
            ).returncode
            == 0
        )
    if not launched:
        starter = subprocess.Popen(
            launch_command(script, state_file, token, False),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # outlives the run's process group and terminal
            close_fds=True,
        )
        starter.wait(timeout=30)  # it forks the watchdog and leaves at once
    for _ in range(200):
        if ready.exists():
            lines = ready.read_text().splitlines()
            return lines[1] if len(lines) > 1 else ""
        time.sleep(0.05)
    state_file.unlink(missing_ok=True)
    raise WatchdogError("the revert watchdog did not start; nothing was sent to the device")


def watchdog_pid(watch_dir: Path, token: str) -> int:
    """Given a change's token, return its live watchdog's pid (0 when none lives).

    The pid must still be a process carrying the token in its command line, so
    a pid reused by another process is not taken for the watchdog.
    """
    try:
        pid = int((watch_dir / f"{token}.ready").read_text().split()[0])
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except (OSError, ValueError, IndexError):
        return 0
    return pid if token.encode() in command else 0


def alive(watch_dir: Path, token: str) -> bool:
    """Given a change's token, return whether its watchdog process still runs."""
    return watchdog_pid(watch_dir, token) != 0


def claim(watch_dir: Path, state_file: Path, token: str, outcome: str) -> bool:
    """Take the change away from its watchdog and stop it; False when it already fired."""
    claimed = watch_dir / f"{token}.{outcome}"
    try:
        os.rename(state_file, claimed)
    except FileNotFoundError:
        return False
    pid = watchdog_pid(watch_dir, token)
    if pid:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGTERM)
    for path in (watch_dir / f"{token}.ready", claimed):
        path.unlink(missing_ok=True)
    return True


def renamed(path: Path, suffix: str) -> Path:
    """Given a device's state file, return the file of the same device in another state."""
    for known in STATES:
        if path.name.endswith(known):
            return path.with_name(path.name[: -len(known)] + suffix)
    raise ValueError(f"{path.name} is not a state file")


def orphans(watch_dir: Path, now: float | None = None) -> tuple[list[Path], list[Path]]:
    """Given the watch directory, return (changes nobody will finish, changes left unrecovered).

    Nobody will finish a change whose deadline passed while its watchdog is dead,
    or whose rollback its watchdog began and did not end.  When nothing is
    pending this is one directory listing.
    """
    try:
        names = sorted(os.listdir(watch_dir))
    except OSError:
        return [], []
    now = time.time() if now is None else now
    left: list[Path] = []
    unrecovered: list[Path] = []
    for name in names:
        path = watch_dir / name
        if name.endswith(".unrecovered.json"):
            unrecovered.append(path)
        elif name.endswith((".pending.json", ".firing.json")):
            try:
                state = json.loads(path.read_text())
            except (OSError, ValueError):
                continue  # claimed meanwhile, or being written
            if alive(watch_dir, str(state.get("token", ""))):
                continue
            if name.endswith(".pending.json") and now < float(state.get("deadline", 0)):
                continue  # within its window: whoever started it may still confirm
            left.append(path)
    return left, unrecovered


# -- rolling back ----------------------------------------------------------------------


def restore_device(state: dict[str, Any]) -> bool:
    """Given a change's state, log in and restore the configuration before; return equal?"""
    try:  # inside Ansible's payload
        from ansible.module_utils.sop_netmiko import (  # type: ignore[import-not-found]
            DIALECTS,
            connect,
            restore,
        )
    except ImportError:  # run by the watchdog from WATCH_DIR, by plain names
        from sop_netmiko import DIALECTS, connect, restore  # type: ignore[no-redef]

    dialect = DIALECTS[state["platform"]]
    connection = connect(state["params"], dialect)
    try:
        equal, _ = restore(connection, state["before"], dialect)
    finally:
        connection.disconnect()
    return bool(equal)


@dataclass(frozen=True)
class Outcome:
    """What became of one change left behind."""

    host: str
    token: str
    restored: bool
    message: str


def _host(state: dict[str, Any]) -> str:
    params = state.get("params") or {}
    return str(params.get("host", "?"))


def _roll_back(watch_dir: Path, claimed: Path, state: dict[str, Any], actor: str) -> Outcome:
    """Given a change claimed under `claimed`, restore it; keep it as unrecovered if that fails."""
    host, token = _host(state), str(state.get("token", "?"))
    kept = renamed(claimed, ".unrecovered.json")
    try:
        equal = restore_device(state)
        problem = "" if equal else "running config DIFFERS from the one before"
    except Exception as exc:  # netmiko raises many kinds; the reason is kept, on one line
        problem = " ".join(f"{type(exc).__name__}: {exc}".split())
    if not problem:
        claimed.unlink(missing_ok=True)
        history(watch_dir, f"{host} {token} rolled back by {actor}")
        return Outcome(host, token, True, "")
    os.replace(claimed, kept)
    os.chmod(kept, 0o600)  # it may hold the device password
    history(watch_dir, f"{host} {token} {actor} could NOT roll back: {problem[:300]}")
    return Outcome(host, token, False, problem[:300])


def recover(watch_dir: Path, path: Path) -> Outcome:
    """Given an orphan's (or an unrecovered change's) state file, roll the change back.

    Raise FileNotFoundError when another process took the change first.
    """
    claimed = renamed(path, ".recovering.json")
    os.rename(path, claimed)  # the claim: two recoveries never both act
    state = json.loads(claimed.read_text())
    (watch_dir / f"{state.get('token')}.ready").unlink(missing_ok=True)
    remove_cgroup(str(state.get("token")))
    return _roll_back(watch_dir, claimed, state, "recovery")


def watch(state_file: str, token: str) -> int:
    """The watchdog: wait for the deadline; unless claimed, restore the config before."""
    path = Path(state_file)
    watch_dir = path.parent
    ready = watch_dir / f"{token}.ready"
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # a claim: leave tidily
    try:
        state = json.loads(path.read_text())
        _write(ready, f"{os.getpid()}\n{own_cgroup()}\n")
        while time.time() < float(state["deadline"]):
            if not path.exists():  # confirmed or rolled back by the driver
                return 0
            time.sleep(0.2)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a restore is not left half done
        firing = renamed(path, ".firing.json")
        try:
            os.rename(path, firing)
        except FileNotFoundError:
            return 0
        return 0 if _roll_back(watch_dir, firing, state, "watchdog").restored else 1
    finally:
        with contextlib.suppress(OSError):
            if ready.read_text().split()[0] == str(os.getpid()):
                ready.unlink()
        _leave_cgroup(token)


def main(argv: list[str]) -> int:
    """Given [state file, token, (--foreground)], run the watchdog detached from the run."""
    state_file, token = argv[0], argv[1]
    if "--foreground" not in argv[2:]:
        # Fork once more and let the first process go: the watchdog is then no
        # longer a descendant of the run, so a kill of its process tree misses it.
        if os.fork():
            return 0
        isolate(token)  # and out of the run's cgroup, before it reports ready
    return watch(state_file, token)


if __name__ == "__main__":
    # Run the copy imported under its own name, so that sop_netmiko (which imports
    # sop_netwatch) and this watchdog share one module.
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    import sop_netwatch

    os._exit(sop_netwatch.main(sys.argv[1:]))
