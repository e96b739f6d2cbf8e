"""Bringing the whole lab up and down, and saying what is up."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sop_runner.lab import databases, disks, hosts, network, plan, rootfs, witness
from sop_runner.lab.proc import LabError, run

UP_TIMEOUT = 30.0
RUN_TMPFS_SIZE = "4g"
# Popen objects of hosts launched by this process, reaped by down().
_CHILDREN: list[subprocess.Popen[bytes]] = []


@dataclass
class LabState:
    """What an up left running: written to plan.STATE_FILE, read by tests and by down."""

    hosts: dict[str, dict[str, object]] = field(default_factory=dict)
    disks: list[dict[str, object]] = field(default_factory=list)
    wipe_disks: list[str] = field(default_factory=list)
    ext: dict[str, str] = field(default_factory=dict)
    controller: str = plan.CONTROLLER_ADDR
    bridge: str = plan.BRIDGE
    # The admin path (the lab's set-up and tests): this key, as admin_user, via ssh_config.
    ssh_key: str = str(plan.LAB_KEY)
    ssh_config: str = str(plan.SSH_CONFIG)
    admin_user: str = plan.ADMIN_USER
    # The automation path: certificates of the issuer, signed with this CA (root's alone).
    ca_key: str = str(plan.CA_KEY)
    db_password_file: str = str(plan.DB_PASSWORD_FILE)
    nft: dict[str, str] = field(default_factory=dict)
    # The audit trail's witness account on backup (sop_runner/lab/witness.py).
    witness: dict[str, object] = field(default_factory=dict)
    up_seconds: float = 0.0
    started_at: float = 0.0

    def save(self) -> None:
        """Given this state, return once it is written atomically to the state file."""
        tmp = plan.STATE_FILE.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2) + "\n")
        tmp.replace(plan.STATE_FILE)

    @classmethod
    def load(cls) -> LabState | None:
        """Given the state file, return the state it holds (None when the lab is down)."""
        try:
            data = json.loads(plan.STATE_FILE.read_text())
        except (OSError, ValueError):
            return None
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})


def prepare_assets() -> str:
    """Given the machine, return the lab public key once every cached asset exists.

    One-time work (srv2 debootstrap, database seeds) happens here, outside the timed up.
    """
    plan.STATE_DIR.mkdir(parents=True, exist_ok=True)
    plan.STATE_DIR.chmod(0o755)
    pubkey = hosts.ensure_keys()
    witness.ensure_key()
    witness.write_known_hosts()
    databases.ensure_seed()
    rootfs.build()
    return pubkey


def up() -> LabState:
    """Given a machine with or without leftovers, return the state of a freshly started lab."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root (network namespaces, mounts, loop devices)")
    down()
    pubkey = prepare_assets()
    t0 = time.monotonic()
    plan.RUN_DIR.mkdir(parents=True, exist_ok=True)
    # Everything a run writes lives on a tmpfs: fast to fill, and gone with one umount.
    run(
        [
            "mount",
            "-t",
            "tmpfs",
            "-o",
            f"size={RUN_TMPFS_SIZE},mode=0755",
            "sop-lab-run",
            str(plan.RUN_DIR),
        ]
    )
    state = LabState(started_at=time.time())
    state.nft = {
        "family": plan.NFT_FAMILY,
        "table": plan.NFT_TABLE,
        "chain": plan.NFT_FORWARD_CHAIN,
        "set": plan.NFT_GRANT_SET,
    }
    state.ext = {"netns": plan.EXT_NETNS, "address": plan.EXT_ADDR}
    srv2_root = plan.host("srv2").dir / "root"
    untar = rootfs.unpack_start(srv2_root)
    try:
        state.disks = disks.create()
        state.wipe_disks = [str(d["device"]) for d in state.disks]
        state.save()
        network.setup()
        scripts: dict[str, Path] = {}
        for h in plan.HOSTS:
            if h.rootfs == "overlay":
                scripts[h.name] = hosts.prepare(h.name, pubkey, state.disks)
        append_only = witness.install(plan.host(witness.HOST).dir / "upper")
        state.witness = witness.state(append_only)
        _, err = untar.communicate(timeout=120)
        if untar.returncode != 0:
            raise LabError(f"unpacking {plan.SRV2_TARBALL} failed: {err.decode()[-500:]}")
        scripts["srv2"] = hosts.prepare("srv2", pubkey, state.disks)
        for name, script in scripts.items():
            _CHILDREN.append(hosts.launch(name, script))
        _wait_ready(state)
    except BaseException:
        if untar.poll() is None:
            untar.kill()
            untar.wait()
        down()
        raise
    state.up_seconds = round(time.monotonic() - t0, 3)
    state.save()
    return state


def _wait_ready(state: LabState) -> None:
    """Given launched hosts, return once every host's init ran and its ports answer."""
    deadline = time.monotonic() + UP_TIMEOUT
    pending = {h.name: h for h in plan.HOSTS}
    while pending:
        for name, h in list(pending.items()):
            pid = hosts.init_pid(name)
            if pid is None or not hosts.is_ready(pid):
                continue
            if all(databases.tcp_ready(h.address, port) for port in h.ports):
                state.hosts[name] = {
                    "address": h.address,
                    "netns": h.netns,
                    "init_pid": pid,
                    "ports": list(h.ports),
                    "rootfs": h.rootfs,
                }
                del pending[name]
        if not pending:
            break
        if time.monotonic() > deadline:
            detail = {n: _console_tail(n) for n in pending}
            raise LabError(f"lab hosts not ready after {UP_TIMEOUT:.0f} s: {detail}")
        time.sleep(0.02)
    state.save()


def restart_host(name: str) -> LabState:
    """Given a lab host that was halted (SOP 5.1 step 5 runs `shutdown -h` on it), start it
    again as the lab's up did and return the state once it answers.

    Its files are kept (its layer lives on under the lab's run directory); its daemons
    start afresh.  Raise LabError if the lab is down, the host still runs, or it does
    not come back within the up's timeout.
    """
    state = LabState.load()
    if state is None:
        raise LabError("the lab is down: nothing to restart")
    if hosts.init_pid(name) is not None:
        raise LabError(f"lab host {name} still runs; halt it before restarting it")
    h = plan.host(name)
    _CHILDREN.append(hosts.launch(name, h.dir / "init.sh"))
    deadline = time.monotonic() + UP_TIMEOUT
    while True:
        pid = hosts.init_pid(name)
        if (
            pid is not None
            and hosts.is_ready(pid)
            and all(databases.tcp_ready(h.address, port) for port in h.ports)
        ):
            state.hosts[name] = {**state.hosts.get(name, {}), "init_pid": pid}
            state.save()
            return state
        if time.monotonic() > deadline:
            raise LabError(
                f"lab host {name} not ready after {UP_TIMEOUT:.0f} s: {_console_tail(name)}"
            )
        time.sleep(0.05)


def _console_tail(name: str) -> str:
    try:
        return (plan.host(name).dir / "console.log").read_text()[-400:]
    except OSError:
        return ""


def lab_processes() -> list[tuple[int, bool]]:
    """Given the machine, return (pid, is PID-namespace init) of every live lab process."""
    inodes = {ino for ns in plan.all_netns() if (ino := hosts.netns_inode(ns)) is not None}
    return hosts.pids_in_netns(inodes) if inodes else []


def _kill_all() -> None:
    """Given the lab's processes, return once all are gone (inits first, then the rest)."""
    state = LabState.load()
    inodes = {ino for ns in plan.all_netns() if (ino := hosts.netns_inode(ns)) is not None}
    recorded = set()
    if state is not None:
        for info in state.hosts.values():
            pid = info.get("init_pid")
            if isinstance(pid, int):
                recorded.add(pid)
    deadline = time.monotonic() + 3.0
    while True:
        procs = hosts.pids_in_netns(inodes) if inodes else []
        procs += [(pid, False) for pid in _pids_using_run_dir()]
        # A recorded init whose namespace is already deleted still counts as the lab's
        # only if it still is a PID-namespace init in no namespace we can name.
        for pid in recorded:
            if _is_orphan_lab_init(pid, inodes):
                procs.append((pid, True))
        if not procs:
            break
        for pid, is_init in sorted(procs, key=lambda p: not p[1]):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            del is_init
        if time.monotonic() > deadline:
            raise LabError(f"lab processes survive SIGKILL: {[p for p, _ in procs]}")
        time.sleep(0.01)
    for child in _CHILDREN:
        try:
            child.wait(timeout=2)
        except subprocess.TimeoutExpired:
            child.kill()
    _CHILDREN.clear()


def _pids_using_run_dir() -> list[int]:
    """Given the machine, return live processes whose command line names the lab's run dir.

    They can only be the lab's own (an `unshare` holding a host, a `tar` unpacking srv2
    when an up was killed half-way); nothing else is told about that directory.
    """
    needle = str(plan.RUN_DIR).encode() + b"/"
    me = os.getpid()
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit() or int(entry.name) == me:
            continue
        try:
            with open(f"/proc/{entry.name}/cmdline", "rb") as f:
                cmd = f.read()
        except OSError:
            continue
        if needle in cmd:
            found.append(int(entry.name))
    return found


def _is_orphan_lab_init(pid: int, inodes: set[int]) -> bool:
    """Given a recorded init pid, return whether it is still a lab host's init."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read()
        net = os.stat(f"/proc/{pid}/ns/net").st_ino
    except OSError:
        return False
    return net not in inodes and b"/sop-lab/start.sh" in cmd


def lab_mounts() -> list[str]:
    """Given the root mount namespace, return mount points that belong to the lab."""
    found = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mnt = line.split()[4]
            if mnt.startswith(str(plan.RUN_DIR)) or mnt.startswith(
                "/run/netns/" + plan.NETNS_PREFIX
            ):
                found.append(mnt)
    return found


def down() -> None:
    """Given the lab in any state (up, half up, crashed), return once nothing of it is left."""
    if os.geteuid() != 0:
        raise LabError("the lab needs root to be taken down")
    _kill_all()
    disks.detach()
    network.teardown()
    witness.release(plan.host(witness.HOST).dir / "upper")  # an append-only file blocks rmtree
    for mnt in reversed(lab_mounts()):
        run(["umount", "-l", mnt], check=False)
    if plan.RUN_DIR.exists():
        shutil.rmtree(plan.RUN_DIR, ignore_errors=True)
    plan.STATE_FILE.unlink(missing_ok=True)


def status() -> dict[str, object]:
    """Given the machine, return what of the lab exists now."""
    state = LabState.load()
    return {
        "up": state is not None,
        "netns": network.existing_netns(),
        "processes": len(lab_processes()),
        "mounts": lab_mounts(),
        "loop_devices": disks.lab_loop_devices(),
        "hosts": {} if state is None else state.hosts,
        "wipe_disks": [] if state is None else state.wipe_disks,
    }
