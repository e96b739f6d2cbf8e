"""Lab hosts: own namespace, hostname, root filesystem and OpenSSH server each."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from sop_runner.lab import access, databases, desired, plan, router
from sop_runner.lab.files import ROOT, ensure_dir, make_opaque, write
from sop_runner.lab.proc import run

SSHD_CONFIG = "/etc/ssh/sop-lab_sshd_config"
HOST_KEY = "/etc/ssh/sop-lab_host_ed25519_key"
READY_MARK = "run/sop-lab-ready"
# srv1's kernel parameters as the repository desires them (roles/sysctl_config with
# inventory/lab/host_vars/srv1.yml; tests/unit/test_config.py renders and compares):
# the lab's srv1 starts as configured, so a 3.1 run on it changes only what a test asks.
SRV1_SYSCTL_FILE = "/etc/sysctl.d/60-sop-pusatdata.conf"
SRV1_SYSCTL_TEXT = """\
# Kernel parameters of srv1, managed by sop-pusatdata (SOP 3.1,
# roles/sysctl_config).  Do not edit here: change sysctl_config_values in the
# inventory and apply it through a 3.1 request.
net.ipv4.tcp_fin_timeout = 60
"""

# srv2 has no init system: its application is restarted by this program, which the
# inventory names as data (upgrade_applications[].restart.argv), never as shell text.
SRV2_RESTART = "/usr/local/sbin/sop-lab-arsip-restart"
SRV2_RESTART_TEXT = """\
#!/bin/bash
# sop-lab: restart the archive (python3 -m http.server 8081) on srv2.
pkill -f '^python3 -m http[.]server 8081' || true
sleep 0.3
cd /srv/arsip
setsid -f python3 -m http.server 8081 --bind 0.0.0.0 </dev/null >>/var/log/sop-lab-http.log 2>&1
"""

# `shutdown -h` on a lab host (SOP 5.1 step 5): a host is its PID namespace, so halting
# it is its PID 1 ending (the kernel then kills every process of the host, sshd among
# them).  Shadows the controller's systemctl-based shutdown, which has no systemd here.
SHUTDOWN = "/usr/local/sbin/shutdown"
SHUTDOWN_TEXT = """\
#!/bin/sh
# sop-lab: halt this lab host (its PID 1 ends; sop_runner.lab.restart_host starts it again).
case " $* " in
  *" -h "*|*" -P "*|*" --halt "*|*" --poweroff "*|*" -H "*) ;;
  *) echo "sop-lab shutdown: only a halt (-h) is supported" >&2; exit 2 ;;
esac
echo "$(date -u +%FT%TZ) shutdown $*" >>/var/log/sop-lab-init.log
# Let the caller's session end first, as a real shutdown does.
(sleep 1; kill -TERM 1) </dev/null >/dev/null 2>&1 &
exit 0
"""

SSHD_TEXT = f"""\
# sop-lab sshd
Port 22
# A second port: tests reach sshd through a grant of another port than the one they test.
Port 2222
ListenAddress 0.0.0.0
HostKey {HOST_KEY}
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
UseDNS no
PidFile /run/sshd-sop-lab.pid
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
{access.SSHD_LINES}"""
SSHD_LOG = "/var/log/sop-lab-sshd.log"


def _keypair(path: Path, comment: str) -> None:
    """Given a key path and comment, return once an ed25519 key pair is there."""
    if not path.exists():
        run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)])


def ensure_keys() -> str:
    """Given the lab's ssh dir, return the lab public key (key pairs created if missing)."""
    plan.SSH_DIR.mkdir(parents=True, exist_ok=True)
    plan.SSH_DIR.chmod(0o700)
    _keypair(plan.LAB_KEY, "sop-lab admin")
    _keypair(plan.NETADMIN_KEY, "sop-lab netadmin")
    access.ensure_ca()
    for h in plan.HOSTS:
        _keypair(plan.SSH_DIR / f"host_{h.name}_ed25519", f"root@{h.name}")
    write_ssh_config()
    return plan.LAB_KEY.with_suffix(".pub").read_text()


def write_ssh_config() -> None:
    """Given the plan, return once an ssh_config for `ssh -F ... HOST` is written.

    It is the admin path (the lab's set-up and the tests): the admin account and key.
    """
    blocks = []
    for h in plan.HOSTS:
        blocks.append(
            f"Host {h.name}\n  HostName {h.address}\n  User {plan.ADMIN_USER}\n"
            f"  IdentityFile {plan.LAB_KEY}\n  IdentitiesOnly yes\n"
            "  StrictHostKeyChecking no\n  UserKnownHostsFile /dev/null\n  LogLevel ERROR\n"
        )
    # rtr1's vtysh login takes its device key (the admin key opens only the admin account).
    blocks.append(
        f"Match originalhost rtr1 user {plan.NETADMIN_USER}\n  IdentityFile {plan.NETADMIN_KEY}\n"
    )
    plan.SSH_CONFIG.write_text("\n".join(blocks))


def etc_hosts(name: str) -> str:
    """Given a host name, return the /etc/hosts text of that host."""
    lines = ["127.0.0.1\tlocalhost", f"127.0.1.1\t{name}"]
    lines += [f"{h.address}\t{h.name}" for h in plan.HOSTS]
    lines += [f"{plan.CONTROLLER_ADDR}\tcontroller", f"{plan.EXT_ADDR}\text"]
    return "\n".join(lines) + "\n"


def start_script(name: str) -> str:
    """Given a host name, return its /sop-lab/start.sh (runs as the host's PID 1)."""
    extra = ""
    if name == "srv1":
        extra = databases.start_lines() + (
            "cd /srv/www && python3 -m http.server 8080 --bind 0.0.0.0 "
            "</dev/null >>/var/log/sop-lab-http.log 2>&1 &\ncd /\n"
        )
    elif name == "srv2":
        extra = (
            "cd /srv/arsip && python3 -m http.server 8081 --bind 0.0.0.0 "
            "</dev/null >>/var/log/sop-lab-http.log 2>&1 &\ncd /\n"
        )
    elif name == "rtr1":
        extra = router.start_lines()
    return f"""\
#!/bin/bash
# sop-lab: PID 1 of host {name}. Starts its daemons, then reaps orphans forever.
exec >>/var/log/sop-lab-init.log 2>&1
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p /run/sshd /run/lock && chmod 0755 /run/sshd && chmod 1777 /run/lock
{extra}# sshd's log with a time on every line, as auth.log has it (SOP 2.4 reads sessions there).
/usr/sbin/sshd -D -e -f {SSHD_CONFIG} </dev/null 2>&1 | while IFS= read -r line; do
  printf '%(%Y-%m-%dT%H:%M:%S%z)T {name} sshd: %s\\n' -1 "$line"
done >>{SSHD_LOG} &
touch /{READY_MARK}
# A halt ({SHUTDOWN}) ends PID 1; the kernel then ends the whole host.
trap 'echo "$(date -u +%FT%TZ) halted"; exit 0' TERM
while true; do sleep 86400 & wait $!; done
"""


def init_script(name: str, root: Path, upper: Path | None, disks: list[dict[str, object]]) -> str:
    """Given a host, its root mount point and layers, return its outer init (sh) script."""
    work = root.parent / "work"
    if upper is not None:
        mount_root = (
            f"mount -t overlay sop-lab-{name} "
            f'-o lowerdir=/,upperdir={upper},workdir={work} "$R"\n'
            'mount -t tmpfs -o mode=0700,size=1m sop-lab-hide "$R/var/lib/sop-lab"\n'
            '[ -d "$R/var/cache/sop-lab" ] && '
            'mount -t tmpfs -o mode=0700,size=1m sop-lab-hide "$R/var/cache/sop-lab"\n'
        )
    else:
        mount_root = 'mount --bind "$R" "$R"\n'
    nodes = "".join(
        f'mknod -m 660 "$R{d["device"]}" b {d["major"]} {d["minor"]} && '
        f'chgrp disk "$R{d["device"]}"\n'
        for d in disks
    )
    return f"""\
#!/bin/sh
# sop-lab: outer init of host {name} (new mount, UTS and PID namespaces).
set -eu
R={root}
hostname {name}
{mount_root}mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount -t tmpfs -o mode=0755,size=4m sop-lab-dev "$R/dev"
mknod -m 666 "$R/dev/null" c 1 3
mknod -m 666 "$R/dev/zero" c 1 5
mknod -m 666 "$R/dev/full" c 1 7
mknod -m 666 "$R/dev/random" c 1 8
mknod -m 666 "$R/dev/urandom" c 1 9
mknod -m 666 "$R/dev/tty" c 5 0
mkdir "$R/dev/pts" "$R/dev/shm"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$R/dev/pts"
mount -t tmpfs -o mode=1777 sop-lab-shm "$R/dev/shm"
ln -s pts/ptmx "$R/dev/ptmx"
ln -s /proc/self/fd "$R/dev/fd"
ln -s /proc/self/fd/0 "$R/dev/stdin"
ln -s /proc/self/fd/1 "$R/dev/stdout"
ln -s /proc/self/fd/2 "$R/dev/stderr"
{nodes}mount -t tmpfs -o mode=0755 sop-lab-run "$R/run"
mount -t tmpfs -o mode=1777 sop-lab-tmp "$R/tmp"
exec chroot "$R" /bin/bash /sop-lab/start.sh
"""


def prepare(name: str, pubkey: str, disks: list[dict[str, object]]) -> Path:
    """Given a host name, the lab's admin key and the disks, return its outer init script path.

    An overlay host's own files go into its upper layer; srv2's into its unpacked root.
    """
    h = plan.host(name)
    root = h.dir / "root"
    if h.rootfs == "overlay":
        top, lower = h.dir / "upper", ROOT
        for d in (top, h.dir / "work", root):
            d.mkdir(parents=True, exist_ok=True)
        top.chmod(0o755)
        upper: Path | None = top
    else:
        top, lower, upper = root, root, None
    write(top, "/etc/hostname", f"{name}\n", lower=lower)
    write(top, "/etc/hosts", etc_hosts(name), lower=lower)
    write(top, "/etc/resolv.conf", "# sop-lab: no DNS in the lab\n", lower=lower)
    write(top, "/etc/mailname", f"{name}\n", lower=lower)
    write(top, SSHD_CONFIG, SSHD_TEXT, lower=lower)
    key = plan.SSH_DIR / f"host_{name}_ed25519"
    write(top, HOST_KEY, key.read_bytes(), mode=0o600, lower=lower)
    write(top, HOST_KEY + ".pub", key.with_suffix(".pub").read_bytes(), lower=lower)
    rootdir = ensure_dir(top, "/root", lower, mode=0o700)
    if upper is not None:
        make_opaque(rootdir)
    # No key of the controller for root: the automation account takes certificates only.
    write(top, "/root/.ssh/authorized_keys", "", mode=0o600, lower=lower)
    (top / "root/.ssh").chmod(0o700)
    write(top, "/root/.bashrc", "# sop-lab\n", lower=lower)
    write(top, "/sop-lab/start.sh", start_script(name), mode=0o755, lower=lower)
    write(top, SHUTDOWN, SHUTDOWN_TEXT, mode=0o755, lower=lower)
    for rel in ("var/lib/sop-lab", "var/cache/sop-lab", "proc", "sys", "dev", "run", "tmp"):
        if rel.startswith("var/") and upper is None:
            continue
        ensure_dir(top, rel, lower)
    if name == "srv1":
        write(
            top,
            "/srv/www/index.html",
            "<h1>Portal layanan publik (sop-lab srv1)</h1>\n",
            lower=lower,
        )
        write(top, SRV1_SYSCTL_FILE, SRV1_SYSCTL_TEXT, lower=lower)
        # srv1's own nginx.conf in its upper layer (seen through the overlay from the
        # controller's ext4 it would carry the 'e' attribute, which Ansible's atomic
        # move copies with chattr and the overlay refuses), and the one the repository
        # desires (roles/web_config with its host_vars): a 3.1 change on srv1 then shows
        # only what a pull request changed, not a rewrite of Debian's stock file.
        write(top, "/etc/nginx/nginx.conf", desired.nginx_conf("srv1"), lower=lower)
        assert upper is not None
        databases.install(upper)
    elif name == "srv2":
        write(top, "/srv/arsip/index.html", "<h1>Arsip dokumen (sop-lab srv2)</h1>\n", lower=lower)
        write(top, SRV2_RESTART, SRV2_RESTART_TEXT, mode=0o755, lower=lower)
    elif name == "backup":
        ensure_dir(top, "/srv/restic", lower, mode=0o700)
    elif name == "rtr1":
        assert upper is not None
        router.install(upper, plan.NETADMIN_KEY.with_suffix(".pub").read_text())
    access.install(name, top, pubkey, lower)
    script = h.dir / "init.sh"
    host_disks = disks if name == "srv2" else []
    script.write_text(init_script(name, root, upper, host_disks))
    return script


def launch(name: str, script: Path) -> subprocess.Popen[bytes]:
    """Given a prepared host, return the running process that holds its namespaces."""
    h = plan.host(name)
    log = (h.dir / "console.log").open("ab")
    try:
        return subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                h.netns,
                "unshare",
                "--mount",
                "--uts",
                "--pid",
                "--fork",
                "--kill-child",
                "--propagation",
                "private",
                "/bin/sh",
                str(script),
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    finally:
        log.close()


def netns_inode(netns: str) -> int | None:
    """Given a namespace name, return the inode that identifies it (None if it is gone)."""
    try:
        return os.stat(f"/run/netns/{netns}").st_ino
    except OSError:
        return None


def pids_in_netns(inodes: set[int]) -> list[tuple[int, bool]]:
    """Given namespace inodes, return (pid, is PID-namespace init) of every process in them."""
    found: list[tuple[int, bool]] = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            ino = os.stat(f"/proc/{entry.name}/ns/net").st_ino
            if ino not in inodes:
                continue
            is_init = False
            with open(f"/proc/{entry.name}/status") as f:
                for line in f:
                    if line.startswith("NSpid:"):
                        ids = line.split()[1:]
                        is_init = len(ids) > 1 and ids[-1] == "1"
                        break
        except OSError:
            continue
        found.append((int(entry.name), is_init))
    return found


def init_pid(name: str) -> int | None:
    """Given a host name, return the root-namespace pid of its PID-namespace init, if up."""
    ino = netns_inode(plan.host(name).netns)
    if ino is None:
        return None
    for pid, is_init in pids_in_netns({ino}):
        if is_init:
            return pid
    return None


def is_ready(pid: int) -> bool:
    """Given a host's init pid, return whether its start script has finished."""
    return os.path.exists(f"/proc/{pid}/root/{READY_MARK}")
