"""Loop block devices filled with a known pattern, for the wipe procedure."""

from __future__ import annotations

import json
import os
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.proc import run


def pattern_block(index: int) -> bytes:
    """Given a disk index, return the 512-byte block repeated over that whole disk."""
    line = f"SOP-LAB DISK {index} KNOWN PATTERN - DATA TO BE WIPED\n".encode()
    block = (line * (plan.DISK_PATTERN_BLOCK // len(line) + 1))[: plan.DISK_PATTERN_BLOCK]
    return block


def refill(device: str, index: int) -> None:
    """Given a lab disk and its index, write its known pattern over it again.

    A test that wipes a lab disk calls this afterwards, so the session's other
    tests still find the disks as the lab made them.
    """
    chunk = pattern_block(index) * (1024 * 1024 // plan.DISK_PATTERN_BLOCK)
    with open(device, "r+b") as disk:
        for _ in range(plan.DISK_SIZE // len(chunk)):
            disk.write(chunk)
        disk.flush()
        os.fsync(disk.fileno())


def image_path(index: int) -> Path:
    """Given a disk index, return the path of its backing image file."""
    return plan.DISK_DIR / f"disk{index}.img"


def create() -> list[dict[str, object]]:
    """Given no lab disks, return the attached ones as {device, image, size, major, minor}."""
    plan.DISK_DIR.mkdir(parents=True, exist_ok=True)
    disks: list[dict[str, object]] = []
    for i in range(plan.DISK_COUNT):
        img = image_path(i)
        chunk = pattern_block(i) * (1024 * 1024 // plan.DISK_PATTERN_BLOCK)
        with img.open("wb") as f:
            for _ in range(plan.DISK_SIZE // len(chunk)):
                f.write(chunk)
        dev = run(["losetup", "--find", "--show", str(img)]).stdout.strip()
        st = os.stat(dev)
        disks.append(
            {
                "device": dev,
                "image": str(img),
                "size": plan.DISK_SIZE,
                "major": os.major(st.st_rdev),
                "minor": os.minor(st.st_rdev),
            }
        )
    return disks


def lab_loop_devices() -> list[str]:
    """Given the machine, return the loop devices whose backing file is the lab's."""
    out = run(["losetup", "--list", "--json", "--output", "NAME,BACK-FILE"], check=False).stdout
    if not out.strip():
        return []
    devices = json.loads(out).get("loopdevices", [])
    prefix = str(plan.DISK_DIR) + "/"
    return [d["name"] for d in devices if (d.get("back-file") or "").startswith(prefix)]


def detach() -> None:
    """Given lab loop devices in any state, return once none is attached."""
    for dev in lab_loop_devices():
        run(["losetup", "--detach", dev], check=False)
