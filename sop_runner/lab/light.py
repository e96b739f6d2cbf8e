"""A light bench lab: many hosts that are a network namespace and an OpenSSH server each.

For the 50-host bench of `sop run` (bench/run_overhead.py), never for the test suite:
no databases, no rootfs of their own (every host sees the controller's files), no
certificates (one key of the bench's, named by the bench's inventory).  Each host's
sshd runs in a mount namespace of its own (``ip netns exec`` makes one) with a tmpfs on
``WORK_DIR`` (a play that writes there writes on that host alone) and on /root.

Its names, bridge and addresses (``sopb50-*``, ``sopb50br``, ``sb50-*``, 10.79.50.0/24)
are apart from the test lab's (``soplab-*``, 10.77.*): neither's teardown touches the
other.  ``light_lab`` removes everything it made, also when bringing it up failed.
"""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from sop_runner.lab.proc import LabError, ip, run

NETNS_PREFIX = "sopb50-"
BRIDGE = "sopb50br"
VETH_PREFIX = "sb50-"
NET_PREFIX = "10.79.50"
CONTROLLER_ADDR = f"{NET_PREFIX}.1"
FIRST_HOST = 11
MAX_HOSTS = 200
WORK_DIR = Path("/var/tmp/sop-bench-light")
READY_TIMEOUT = 20.0


@dataclass(frozen=True)
class LightHost:
    """One light host: its inventory name, namespace, veth (controller side), address."""

    name: str
    netns: str
    veth: str
    address: str


@dataclass
class LightLab:
    """A running light lab: its hosts, its folder (keys, inventory) and sshd processes."""

    hosts: list[LightHost]
    folder: Path
    key: Path
    inventory: Path
    sshd: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def logins(self) -> int:
        """Return how many SSH logins the hosts' sshd have accepted so far."""
        logs = (self.folder / f"{h.name}.log" for h in self.hosts)
        return sum(p.read_text(errors="replace").count("Accepted publickey") for p in logs)

    def in_host(self, host: LightHost, command: str) -> None:
        """Given a host and a shell command, run it in that host's namespaces (as root).

        Raise LabError if it fails.
        """
        pid = self.sshd[host.name].pid
        run(["nsenter", "-t", str(pid), "-m", "-n", "--", "sh", "-c", command])


def plan(count: int) -> list[LightHost]:
    """Given a number of hosts, return their plan (b50-01, 10.79.50.11, …).

    Raise ValueError unless 1 <= count <= MAX_HOSTS.
    """
    if not 1 <= count <= MAX_HOSTS:
        raise ValueError(f"count: {count} hosts; allowed is 1 to {MAX_HOSTS}")
    return [
        LightHost(
            name=f"b50-{n:02d}",
            netns=f"{NETNS_PREFIX}{n:02d}",
            veth=f"{VETH_PREFIX}{n:02d}",
            address=f"{NET_PREFIX}.{FIRST_HOST + n - 1}",
        )
        for n in range(1, count + 1)
    ]


def inventory_text(hosts: list[LightHost], key: Path) -> str:
    """Given the hosts and the bench's private key, return the YAML inventory of them."""
    lines = [
        "# The light bench lab (sop_runner/lab/light.py): made and removed by the bench.",
        "all:",
        "  vars:",
        "    ansible_user: root",
        f"    ansible_ssh_private_key_file: {key}",
        "    ansible_ssh_common_args: >-",
        "      -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null",
        "      -o IdentitiesOnly=yes -o LogLevel=ERROR",
        "    ansible_python_interpreter: /usr/bin/python3",
        "  hosts:",
    ]
    for host in hosts:
        lines += [f"    {host.name}:", f"      ansible_host: {host.address}"]
    return "\n".join(lines) + "\n"


def sshd_config(folder: Path, host: LightHost) -> str:
    """Given the lab's folder and a host, return the host's sshd_config text."""
    return (
        f"ListenAddress {host.address}\nPort 22\nHostKey {folder / 'host_ed25519'}\n"
        f"PidFile {folder / (host.name + '.pid')}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\n"
        "PermitRootLogin prohibit-password\nPubkeyAuthentication yes\n"
        "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nUseDNS no\nMaxStartups 200\nMaxSessions 50\n"
        # Not the post-quantum default (sntrup761): 0.1 s of CPU per login on this machine.
        "KexAlgorithms curve25519-sha256,curve25519-sha256@libssh.org\n"
        "Subsystem sftp internal-sftp\n"
    )


def _host_command(folder: Path, host: LightHost) -> list[str]:
    """Given the folder and a host, return the command that becomes the host's sshd.

    ``ip netns exec`` gives the command a mount namespace of its own: the tmpfs on
    WORK_DIR is this host's alone, and every login (a child of sshd) sees it.
    """
    config = folder / f"{host.name}.sshd_config"
    # An empty /root too: the controller's root dotfiles (a pyenv init in .bashrc) made
    # every login take 0.5 s (LAB-FACTS: the test lab's hosts hide them the same way).
    script = (
        f"mount -t tmpfs -o size=16m,mode=0755 sop-bench-light {WORK_DIR} && "
        "mount -t tmpfs -o size=64m,mode=0700 sop-bench-home /root && "
        f"exec /usr/sbin/sshd -D -e -f {config}"
    )
    return ["ip", "netns", "exec", host.netns, "sh", "-c", script]


def _listening(address: str) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((address, 22), timeout=0.2):
        return True
    return False


def _network(hosts: list[LightHost]) -> None:
    """Given the hosts, return once the bridge and each host's namespace and veth are up."""
    ip("link", "add", BRIDGE, "type", "bridge")
    ip("addr", "add", f"{CONTROLLER_ADDR}/24", "dev", BRIDGE)
    ip("link", "set", BRIDGE, "up")
    # `ip -batch`: one process for the links, one per host inside its namespace (50 hosts
    # × 6 commands as 300 processes took seconds).
    made = []
    for h in hosts:
        made += [
            f"netns add {h.netns}",
            f"link add {h.veth} type veth peer name eth0 netns {h.netns}",
            f"link set {h.veth} master {BRIDGE} up",
        ]
    run(["ip", "-batch", "-"], input="\n".join(made) + "\n")
    for h in hosts:
        inside = f"link set lo up\naddr add {h.address}/24 dev eth0\nlink set eth0 up\n"
        run(["ip", "-n", h.netns, "-batch", "-"], input=inside)


def up(folder: Path, count: int) -> LightLab:
    """Given an empty root-owned folder and a number of hosts, return the running lab.

    Raise LabError if a host's sshd does not answer within READY_TIMEOUT, after
    removing what was made.
    """
    hosts = plan(count)
    lab = LightLab(hosts, folder, folder / "id_ed25519", folder / "hosts.yml")
    try:
        _start(lab)
    except BaseException:
        down(lab)
        raise
    return lab


def _start(lab: LightLab) -> None:
    """Given a planned light lab, return once every host's sshd answers."""
    folder, hosts, key = lab.folder, lab.hosts, lab.key
    for path, comment in ((key, "sop-bench"), (folder / "host_ed25519", "sop-bench host")):
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])
    (folder / "authorized_keys").write_text(key.with_suffix(".pub").read_text())
    lab.inventory.write_text(inventory_text(hosts, key))
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    _network(hosts)
    for h in hosts:
        (folder / f"{h.name}.sshd_config").write_text(sshd_config(folder, h))
        lab.sshd[h.name] = subprocess.Popen(
            _host_command(folder, h),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=(folder / f"{h.name}.log").open("wb"),
            start_new_session=True,
        )
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = list(hosts)
    while waiting:
        waiting = [h for h in waiting if not _listening(h.address)]
        if waiting and time.monotonic() > deadline:
            raise LabError(f"light lab: sshd of {waiting[0].name} did not answer")
        for h in waiting:
            if lab.sshd[h.name].poll() is not None:
                log = (folder / f"{h.name}.log").read_text(errors="replace")[-500:]
                raise LabError(f"light lab: sshd of {h.name} ended: {log}")
        if waiting:
            time.sleep(0.02)


def down(lab: LightLab | None = None) -> None:
    """Given a light lab (or None after a failed start), return once none of it is left.

    Its sshd processes are ended (their mount namespaces and tmpfs go with them), then
    every namespace, veth and the bridge with this module's names.
    """
    for process in lab.sshd.values() if lab else []:
        if process.poll() is None:
            process.terminate()
    for process in lab.sshd.values() if lab else []:
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    listed = ip("netns", "list", check=False).stdout.split("\n")
    names = [line.split()[0] for line in listed if line.startswith(NETNS_PREFIX)]
    if names:
        run(["ip", "-batch", "-"], input="".join(f"netns del {n}\n" for n in names), check=False)
    ip("link", "del", BRIDGE, check=False)
    # The kernel frees a namespace (and the veths in it) a moment after its last process.
    deadline = time.monotonic() + 5
    while (left := _veths()) and time.monotonic() < deadline:
        time.sleep(0.05)
    if left:
        run(["ip", "-batch", "-"], input="".join(f"link del {n}\n" for n in left), check=False)
    for entry in Path("/run/netns").glob(NETNS_PREFIX + "*"):
        run(["umount", "-l", str(entry)], check=False)
        entry.unlink(missing_ok=True)
    with contextlib.suppress(OSError):
        WORK_DIR.rmdir()


def _veths() -> list[str]:
    """Return the names of this module's veths that exist now."""
    out = ip("-o", "link", "show", check=False).stdout
    names = [line.split(":", 2)[1].strip() for line in out.splitlines() if ":" in line]
    return [name.split("@")[0] for name in names if name.startswith(VETH_PREFIX)]


@contextlib.contextmanager
def light_lab(folder: Path, count: int) -> Iterator[LightLab]:
    """Given an empty folder and a number of hosts, yield the running light lab.

    What an earlier, killed bench left is removed first; everything is removed at the
    end, whatever happened.
    """
    down(None)
    lab = up(folder, count)
    try:
        yield lab
    finally:
        down(lab)
