"""srv2's root filesystem: a debootstrapped bookworm without its updates, packed once."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.proc import LabError, run

MIRROR = "http://deb.debian.org/debian"
SECURITY_MIRROR = "http://deb.debian.org/debian-security"
PACKAGES = "openssh-server,python3,python3-apt,iproute2,ca-certificates"
BUILD_DIR = plan.CACHE_DIR / "build-srv2"

SOURCES = f"""\
# bookworm as released by debootstrap; updates and security are listed so that an
# upgrade has real work to do, and their packages are pre-downloaded (offline lab).
deb {MIRROR} bookworm main
deb {MIRROR} bookworm-updates main
deb {SECURITY_MIRROR} bookworm-security main
"""


def _chroot(root: Path, script: str) -> None:
    """Given a root and a shell script, return once the script ran chrooted with /proc."""
    run(
        [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            f'mount -t proc proc "{root}/proc" && chroot "{root}" sh -ec "$0"',
            script,
        ],
        timeout=900,
    )


def build(log: bool = True) -> Path:
    """Given the machine (and a Debian mirror), return the srv2 tarball, built if missing."""
    if plan.SRV2_TARBALL.exists():
        return plan.SRV2_TARBALL
    plan.CACHE_DIR.mkdir(parents=True, exist_ok=True)
    done = BUILD_DIR / ".debootstrap-done"
    if not done.exists():
        shutil.rmtree(BUILD_DIR, ignore_errors=True)
        if log:
            print(f"sop-lab: debootstrap bookworm into {BUILD_DIR} (one time, ~1 min)")
        cp = subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={PACKAGES}",
                "bookworm",
                str(BUILD_DIR),
                MIRROR,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if cp.returncode != 0:
            raise LabError(
                "debootstrap could not build srv2's root filesystem "
                f"(mirror {MIRROR}): {cp.stdout[-1500:]}{cp.stderr[-1500:]}"
            )
        done.touch()
    (BUILD_DIR / "etc/apt/sources.list").write_text(SOURCES)
    policy = BUILD_DIR / "usr/sbin/policy-rc.d"
    policy.write_text(
        "#!/bin/sh\n# sop-lab: no init system; never start services from dpkg\nexit 101\n"
    )
    policy.chmod(0o755)
    shutil.copyfile("/etc/resolv.conf", BUILD_DIR / "etc/resolv.conf")
    if log:
        print("sop-lab: pre-downloading srv2's pending updates (offline upgrade later)")
    _chroot(
        BUILD_DIR,
        "export DEBIAN_FRONTEND=noninteractive; apt-get update -qq; "
        "apt-get -y -qq --download-only dist-upgrade",
    )
    (BUILD_DIR / "etc/resolv.conf").write_text("# sop-lab: no DNS in the lab\n")
    for key in (BUILD_DIR / "etc/ssh").glob("ssh_host_*"):
        key.unlink()
    tmp = plan.SRV2_TARBALL.with_suffix(".tmp")
    run(
        [
            "tar",
            "-C",
            str(BUILD_DIR),
            "--numeric-owner",
            "--xattrs",
            "--exclude=./proc/*",
            "--exclude=./.debootstrap-done",
            "-I",
            "zstd -T0 -3",
            "-cf",
            str(tmp),
            ".",
        ],
        timeout=600,
    )
    tmp.rename(plan.SRV2_TARBALL)
    shutil.rmtree(BUILD_DIR, ignore_errors=True)
    return plan.SRV2_TARBALL


def unpack_start(dest: Path) -> subprocess.Popen[bytes]:
    """Given an empty directory, return the running `tar` that unpacks srv2's root into it."""
    dest.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen(
        [
            "tar",
            "-C",
            str(dest),
            "--numeric-owner",
            "--xattrs",
            "-I",
            "zstd -T0",
            "-xpf",
            str(plan.SRV2_TARBALL),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
