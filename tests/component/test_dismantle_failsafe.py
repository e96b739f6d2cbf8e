"""SOP 5.1's wipe fails safe (issue 12), on real loop devices and real stacks of them
(root, no lab).

- all or nothing: one refused disk of a request means nothing is written to any;
- a wipe that happened is recorded (row, log, SHA-256, certificate) even when a
  later disk fails;
- stacked devices are judged by what lies beneath and above them;
- a device path is judged on what it resolves to.

Every device is a loop device over a file in the test's tmp_path, or over such a
loop device; the ones over swap and over the machine's own disk (attached
read-only) are only checked (check mode).  Devices are detached in ``finally``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.sop import run_through
from tests.support.wipe_disks import (
    FULL,
    NEEDS_LOOP_DEVICES,
    SIZE,
    attach,
    detach,
    fill,
    filled_loop_disks,
    local_inventory,
    losetup,
    module,
    pattern_left,
    playbook,
    system_disk,
)

pytestmark = NEEDS_LOOP_DEVICES
SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


# Two loop devices of 32 MiB over sparse files in tmp_path, filled with PATTERN; detached after.
loop_disks = pytest.fixture(name="loop_disks")(filled_loop_disks)


@pytest.fixture
def mounted(loop_disks: list[str], tmp_path: Path) -> Iterator[Path]:
    """The second disk with an ext4 filesystem mounted under tmp_path; unmounted after."""
    subprocess.run(["mkfs.ext4", "-q", "-F", loop_disks[1]], check=True, capture_output=True)
    point = tmp_path / "mnt"
    point.mkdir()
    subprocess.run(["mount", loop_disks[1], str(point)], check=True, capture_output=True)
    (point / "keep.txt").write_text("data that must survive")
    try:
        yield point
    finally:
        subprocess.run(["umount", str(point)], capture_output=True)


def _approved(env: object, devices: list[str], *params: str) -> str:
    """Given disks of ctl1, return the id of a 5.1 request for them the Pimpinan approved."""
    made = env.sop(  # type: ignore[attr-defined]
        "request", "5.1", "--target", "ctl1", "--reason", "uji penghapusan aman",
        "--param", f"devices=[{', '.join(devices)}]", "--param", "wipe_method=clear",
        "--param", "destination=gudang", *params, operator="budi",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    request_id = made.stdout.split()[1]
    approved = env.sop("approve", request_id, operator="ahmad")  # type: ignore[attr-defined]
    assert approved.returncode == 0, approved.stderr
    return request_id


def _keep_txt(device: str, point: Path) -> str:
    subprocess.run(["mount", device, str(point)], check=True, capture_output=True)
    try:
        return (point / "keep.txt").read_text()
    finally:
        subprocess.run(["umount", str(point)], check=True)


# --- all or nothing ------------------------------------------------------------------


@SQLITE_ONLY
def test_one_refused_disk_means_nothing_is_written_to_any(
    sop_env: object, loop_disks: list[str], mounted: Path, tmp_path: Path
) -> None:
    free, busy = loop_disks
    inventory = sop_env.root / "inventory"  # type: ignore[attr-defined]
    logs = tmp_path / "wipe-logs"
    for devices in ([free, busy], [busy, free]):
        request_id = _approved(sop_env, devices, "--param", f"wipe_log_dir={logs}")
        run = playbook(
            inventory,
            "dismantle_wipe.yml",
            sop_env.extravars(request_id),  # type: ignore[attr-defined]
        )
        assert run.returncode != 0, run.stdout[-2000:]
        assert pattern_left(free)[1] == FULL, devices  # not one byte of the free disk
        assert f"mounted at {mounted}" in run.stdout, run.stdout[-2000:]
        assert "nothing written to any device" in run.stdout
    assert (mounted / "keep.txt").read_text() == "data that must survive"
    assert not logs.exists()  # no wipe log: nothing was wiped


# --- a wipe that happened is always recorded --------------------------------------------


@pytest.fixture
def failing_disk(tmp_path: Path) -> Iterator[str]:
    """A 32 MiB loop device whose backing file sits on an 8 MiB tmpfs: writes past the
    first 8 MiB fail (ENOSPC in the file, an I/O error on the device), as a dying disk.
    Its first MiB holds PATTERN."""
    small = tmp_path / "small-fs"
    small.mkdir()
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "sop-wipe-test", str(small)], check=True
    )
    attached: list[str] = []
    try:
        attached.append(attach(small / "dying.img"))
        fill(attached[0], 1024 * 1024)
        yield attached[0]
    finally:
        detach(attached)
        subprocess.run(["umount", str(small)], capture_output=True)


@SQLITE_ONLY
def test_a_wipe_that_happened_is_recorded_when_a_later_disk_fails(
    sop_env: object, loop_disks: list[str], failing_disk: str, tmp_path: Path
) -> None:
    env = sop_env
    good = loop_disks[0]
    logs = tmp_path / "wipe-logs"
    request_id = _approved(env, [good, failing_disk], "--param", f"wipe_log_dir={logs}")
    run = run_through(  # the penanggung jawab reports step 2 (hand-over)
        env.sop,
        request_id,
        "--confirm",
        "2=hasil analisis dilaporkan",  # type: ignore[attr-defined]
    )
    assert run.returncode != 0 and "dismantle_wipe.yml" in run.stderr, run.stderr
    assert pattern_left(good) == (0, 0)  # the first disk was wiped before the second failed

    from sop_runner.context import Context
    from sop_runner.procedures.dismantle.models import DiskWipe
    from sop_runner.procedures.register import history

    on_disk = {p.read_text() for p in logs.glob("wipe-*.log")}
    with Context().session() as session:
        rows = {w.device: w for w in session.scalars(select(DiskWipe)).all()}
        assert set(rows) == {good, failing_disk}
        assert rows[good].verified and rows[good].bytes_written == SIZE
        dying = rows[failing_disk]
        assert not dying.verified and 0 < dying.bytes_written < SIZE
        assert "error" in dying.verification
        for row in rows.values():  # every log on disk is in the store, its hash with it
            assert row.log_text in on_disk
            assert row.log_sha256 == hashlib.sha256(row.log_text.encode()).hexdigest()
        assert len(on_disk) == 2
        last = history(session, "ctl1")[-1]
        assert (last.to_status, last.note) == (
            "decommissioning",
            f"data wiped: {good}; wipe failed: {failing_disk}",
        )
    out = tmp_path / "docs"
    written = env.sop(  # type: ignore[attr-defined]
        "dismantle", "report", request_id, "--lang", "en", "--out", str(out)
    )
    assert written.returncode == 0, written.stderr
    report = (out / f"laporan-penghentian-5.1-{request_id}-en.md").read_text()
    assert f"Certificate of Sanitization (NIST SP 800-88 Appendix G) — ctl1 {good}" in report
    assert f"— ctl1 {failing_disk}" in report
    assert "Verification result: **PASSED**" in report and "**FAILED**" in report


# --- stacked devices -------------------------------------------------------------------


def test_a_loop_over_a_mounted_disk_is_refused(
    loop_disks: list[str], mounted: Path, tmp_path: Path
) -> None:
    inventory = local_inventory(tmp_path / "inv")
    busy = loop_disks[1]
    stacked: list[str] = []
    try:
        stacked.append(losetup(busy))
        over = stacked[0]
        result = module(inventory, {"device": over, "allowed_devices": [over]})
        assert result.returncode != 0
        name = Path(busy).name
        assert f"beneath it {name}, the backing device of {Path(over).name}, is mounted" in (
            result.stdout
        ), result.stdout
    finally:
        detach(stacked)
    subprocess.run(["umount", str(mounted)], check=True)
    assert _keep_txt(busy, mounted) == "data that must survive"


def test_a_disk_under_a_loop_device_is_refused(loop_disks: list[str], tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path / "inv")
    lower = loop_disks[0]
    stacked: list[str] = []
    try:
        stacked.append(losetup(lower))
        result = module(inventory, {"device": lower, "allowed_devices": [lower]})
        assert result.returncode != 0
        assert f"held by {Path(stacked[0]).name} (loop device over {Path(lower).name})" in (
            result.stdout
        ), result.stdout
        assert pattern_left(lower)[1] == FULL
    finally:
        detach(stacked)


def test_a_loop_over_swap_is_refused(loop_disks: list[str], tmp_path: Path) -> None:
    """Checked in check mode only: a broken refusal could then still not write."""
    inventory = local_inventory(tmp_path / "inv")
    swap = loop_disks[0]
    subprocess.run(["mkswap", swap], check=True, capture_output=True)
    stacked: list[str] = []
    subprocess.run(["swapon", swap], check=True)
    try:
        stacked.append(losetup(swap))
        over = stacked[0]
        result = module(inventory, {"device": over, "allowed_devices": [over]}, "--check")
    finally:
        subprocess.run(["swapoff", swap], check=True)
        detach(stacked)
    assert result.returncode != 0
    assert f"the backing device of {Path(over).name}, is in use as swap" in result.stdout
    assert "would wipe" not in result.stdout, result.stdout


def test_a_loop_over_the_system_disk_is_refused(tmp_path: Path) -> None:
    """A read-only loop over the disk / is on, checked in check mode only."""
    root = system_disk()
    inventory = local_inventory(tmp_path / "inv")
    made = subprocess.run(
        ["losetup", "-f", "--show", "--read-only", root], capture_output=True, text=True
    )
    if made.returncode != 0:  # some kernels refuse a loop over a mounted disk altogether
        pytest.skip(f"this kernel refuses a loop device over {root}: {made.stderr.strip()}")
    over = made.stdout.strip()
    try:
        result = module(inventory, {"device": over, "allowed_devices": [over]}, "--check")
    finally:
        detach([over])
    assert result.returncode != 0
    assert f"{Path(over).name} lies on a disk this host runs from (system disk)" in (
        result.stdout
    ), result.stdout


def test_a_read_only_device_is_refused_before_writing(tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path / "inv")
    attached: list[str] = []
    try:
        image = tmp_path / "ro.img"
        writable = attach(image)
        attached.append(writable)
        fill(writable, 1024 * 1024)
        detach([attached.pop()])
        attached.append(losetup("--read-only", str(image)))
        device = attached[0]
        args = {"device": device, "allowed_devices": [device], "log_dir": str(tmp_path / "logs")}
        for mode in (["--check"], []):
            result = module(inventory, args, *mode)
            assert result.returncode != 0
            assert "read-only device; refused before writing" in result.stdout, result.stdout
        assert not (tmp_path / "logs").exists()
    finally:
        detach(attached)


# --- normalised before judged ------------------------------------------------------------


def test_a_path_is_judged_on_what_it_resolves_to(loop_disks: list[str], tmp_path: Path) -> None:
    inventory = local_inventory(tmp_path / "inv")
    disk = loop_disks[0]
    link = tmp_path / "link"
    link.symlink_to(disk)
    sneaky = f"/dev/..{link}"  # reads as under /dev; is a link in a user's directory
    result = module(inventory, {"device": sneaky, "allowed_devices": [sneaky]})
    assert result.returncode != 0
    assert f"must be a path under /dev (it is {link} once '..' is resolved)" in result.stdout
    shm = Path(f"/dev/shm/sop-wipe-test-{os.getpid()}")
    shm.symlink_to(disk)
    try:
        result = module(inventory, {"device": str(shm), "allowed_devices": [str(shm)]})
    finally:
        shm.unlink()
    assert "in a directory users other than root can change" in result.stdout, result.stdout
    assert pattern_left(disk)[1] == FULL
    # A symlink only root can change is compared resolved: allowed as the device it names.
    safe = Path(f"/dev/sop-wipe-test-{os.getpid()}")
    safe.mkdir(mode=0o755)
    try:
        (safe / "data").symlink_to(f"../{Path(disk).name}")
        result = module(
            inventory,
            {"device": disk, "allowed_devices": [str(safe / "data")], "log_dir": str(tmp_path)},
            "--check",
        )
    finally:
        shutil.rmtree(safe)
    assert result.returncode == 0 and f"would wipe {disk}" in result.stdout, result.stdout
