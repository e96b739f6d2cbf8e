"""Helpers shared by the SOP 5.1 tests on real loop devices (tests/component/test_dismantle*.py).

Every device these helpers attach is a loop device over a file in the test's own
tmp_path (or over another such loop device), detached by the test's fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT

PATTERN = b"SOP-5.1-PATTERN\xa5"  # 16 bytes: no run of zeros, easy to search
SIZE = 32 * 1024 * 1024
BIN = Path(sys.executable).parent
NEEDS_LOOP_DEVICES = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("losetup") is None,
    reason="loop devices need root and util-linux losetup",
)


def losetup(*args: str) -> str:
    """Given losetup arguments (after `-f --show`), attach a loop device; return its path."""
    return subprocess.run(
        ["losetup", "-f", "--show", *args], check=True, capture_output=True, text=True
    ).stdout.strip()


def attach(image: Path, *flags: str) -> str:
    """Given an image path, make it a sparse file of SIZE and attach it; return the device."""
    with open(image, "wb") as handle:
        handle.truncate(SIZE)
    return losetup(*flags, str(image))


def fill(device: str, size: int = SIZE) -> None:
    """Given a device, write PATTERN over its first ``size`` bytes."""
    block = PATTERN * (1024 * 1024 // len(PATTERN))
    with open(device, "r+b") as handle:
        for _ in range(size // len(block)):
            handle.write(block)
        handle.flush()
        os.fsync(handle.fileno())


def pattern_left(device: str) -> tuple[int, int]:
    """Given a device, return (bytes that are not zero, pattern occurrences) by a full read."""
    nonzero = hits = 0
    tail = b""
    with open(device, "rb", buffering=0) as handle:
        os.posix_fadvise(handle.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        while chunk := handle.read(4 * 1024 * 1024):
            nonzero += len(chunk) - chunk.count(0)
            hits += (tail + chunk).count(PATTERN)
            tail = chunk[-(len(PATTERN) - 1) :]
    return nonzero, hits


FULL = SIZE // len(PATTERN)  # pattern occurrences on a device filled and never wiped


def detach(devices: list[str]) -> None:
    """Given attached loop devices, newest first, unmount and detach each."""
    for device in devices:
        subprocess.run(["umount", "-q", device], capture_output=True)
        subprocess.run(["losetup", "-d", device], capture_output=True)


def filled_loop_disks(tmp_path: Path, count: int = 2) -> Iterator[list[str]]:
    """Given tmp_path, yield loop devices of SIZE over sparse files there, filled with
    PATTERN; detach them after (the test modules' ``loop_disks`` fixture)."""
    attached: list[str] = []
    try:
        for index in range(count):
            device = attach(tmp_path / f"disk{index}.img")
            attached.append(device)
            fill(device)
        yield attached
    finally:
        detach(attached)


def system_disk() -> str:
    """Return the block device / is mounted from; skip the test when / is not on one."""
    root = subprocess.run(
        ["findmnt", "-nvo", "SOURCE", "/"], capture_output=True, text=True
    ).stdout.strip()
    if not root.startswith("/dev/"):
        pytest.skip(f"/ is not on a block device here ({root!r})")
    return root


def local_inventory(directory: Path) -> Path:
    """Given a directory, write an inventory with ctl1 as this machine; return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "hosts.yml").write_text(
        "all:\n  hosts:\n    ctl1: {ansible_connection: local, ansible_python_interpreter: "
        + sys.executable
        + "}\n"
    )
    return directory


def _ansible(command: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    """Given an ansible or ansible-playbook command line, run it with the repository's
    configuration and this environment's tools first on PATH; return the finished run."""
    env = dict(os.environ, ANSIBLE_CONFIG=str(REPO_ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    return subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=timeout
    )


def playbook(
    inventory: Path, name: str, extra: dict[str, object], *more: str
) -> subprocess.CompletedProcess[str]:
    """Given an inventory and a playbook, run it on ctl1; return the finished run."""
    return _ansible(
        [
            str(BIN / "ansible-playbook"),
            "-i",
            str(inventory / "hosts.yml"),
            str(REPO_ROOT / "playbooks" / name),
            "--limit",
            "ctl1",
            "-e",
            json.dumps(extra),
            *more,
        ],
        timeout=300,
    )


def module(
    inventory: Path, args: dict[str, object], *more: str
) -> subprocess.CompletedProcess[str]:
    """Given an inventory and disk_wipe's arguments, run the module on ctl1."""
    return _ansible(
        [
            str(BIN / "ansible"),
            "-i",
            str(inventory / "hosts.yml"),
            "ctl1",
            "-m",
            "disk_wipe",
            "-a",
            json.dumps(args),
            *more,
        ],
        timeout=120,
    )
