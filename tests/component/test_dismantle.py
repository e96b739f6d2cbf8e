"""SOP 5.1 end to end on real loop block devices created by these tests (root, no lab).

Every device written here is a loop device over a sparse file in the test's
own tmp_path, attached by the fixture and detached in ``finally``.  The one
test that names the machine's own disk runs in check mode, where the module
never opens a device for writing.  The wipe of a lab host's disk over SSH is in
tests/integration/test_dismantle.py.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.support.sop import run_through
from tests.support.wipe_disks import (
    NEEDS_LOOP_DEVICES,
    PATTERN,
    SIZE,
    filled_loop_disks,
    local_inventory,
    pattern_left,
    system_disk,
)
from tests.support.wipe_disks import module as _module
from tests.support.wipe_disks import playbook as _playbook

pytestmark = NEEDS_LOOP_DEVICES


# Two loop devices of 32 MiB over sparse files in tmp_path, filled with PATTERN; detached after.
loop_disks = pytest.fixture(name="loop_disks")(filled_loop_disks)


def test_run_wipes_keeps_register_history_and_never_halts_the_controller(
    sop_env: object, loop_disks: list[str], tmp_path: Path
) -> None:
    env = sop_env  # type: ignore[assignment]
    disk, spare = loop_disks
    logs = tmp_path / "wipe-logs"
    inventory = env.root / "inventory"  # type: ignore[attr-defined]
    done = env.sop(  # type: ignore[attr-defined]
        "register", "add", "ctl1", "--asset", "ASET-2024-0042", "--owner", "Diskominfo",
        "--function", "portal server", operator="budi",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = env.sop(  # type: ignore[attr-defined]
        "request", "5.1", "--target", "ctl1", "--reason", "server rusak, diganti",
        "--param", f"devices=[{disk}]", "--param", "wipe_method=clear",
        "--param", "destination=penggunaan ulang internal",
        "--param", f"wipe_log_dir={logs}", operator="budi",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    request_id = made.stdout.split()[1]

    # Without the Pimpinan's order: steps 1-2 run, the gate at step 3 stops the run.
    waiting = run_through(  # the penanggung jawab reports step 2 (hand-over)
        env.sop,
        request_id,
        "--confirm",
        "2=hasil analisis dilaporkan",  # type: ignore[attr-defined]
    )
    assert waiting.returncode == 3  # waiting for an approval
    assert "memerlukan persetujuan sah dari pimpinan" in waiting.stderr
    # ... and the playbook run by hand is refused by its own gate.
    by_hand = _playbook(inventory, "dismantle_wipe.yml", env.extravars(request_id))
    assert by_hand.returncode != 0, by_hand.stdout
    assert "sop_gate menolak" in by_hand.stdout, by_hand.stdout[-1500:]
    # Check mode says what would be wiped and changes nothing.
    check = _playbook(
        inventory,
        "dismantle_wipe.yml",
        {"sop_params": {"devices": [disk], "wipe_method": "clear"}},
        "--check",
        "-v",
    )
    assert check.returncode == 0, check.stdout
    assert f"would wipe {disk}" in check.stdout and f"{SIZE} bytes" in check.stdout
    assert pattern_left(disk)[1] == SIZE // len(PATTERN)

    approved = env.sop("approve", request_id, operator="ahmad")  # type: ignore[attr-defined]
    assert approved.returncode == 0, approved.stderr
    # Approved for one disk: the playbook aimed at another is refused, that disk keeps its data.
    other = _playbook(inventory, "dismantle_wipe.yml", env.extravars(request_id, devices=[spare]))
    assert other.returncode != 0 and "sop_params.devices" in other.stdout
    assert pattern_left(spare)[1] == SIZE // len(PATTERN)

    run = env.sop(  # type: ignore[attr-defined]
        "run", request_id, "--confirm", "7=dokumentasi dibuat",
        "--confirm", "8=laporan diserahkan", operator="budi",
    )  # fmt: skip
    # Step 5 halts the device (shutdown -h); ctl1 is this controller (a local connection),
    # which is refused: the halt and its check run on the lab (tests/integration).
    assert run.returncode != 0, run.stdout + run.stderr
    assert "reached with a local connection" in run.stdout + run.stderr
    assert pattern_left(disk) == (0, 0)  # full read-back: no byte of the pattern left
    assert pattern_left(spare)[1] == SIZE // len(PATTERN)  # the other disk untouched

    from sop_runner.context import Context
    from sop_runner.procedures.dismantle.models import DiskWipe, DismantleFeasibility
    from sop_runner.procedures.register import history

    with Context().session() as session:
        wipe = session.scalars(select(DiskWipe)).one()
        assert (wipe.device, wipe.size_bytes, wipe.bytes_written) == (disk, SIZE, SIZE)
        assert wipe.verified and wipe.verification["bytes_read"] == SIZE
        assert wipe.verification["mismatched_bytes"] == 0
        on_disk = sorted(logs.glob("wipe-*.log"))
        assert len(on_disk) == 1 and on_disk[0].read_text() == wipe.log_text
        feasibility = session.scalars(select(DismantleFeasibility)).one()
        assert feasibility.findings["administrative"]["asset_number"] == "ASET-2024-0042"
        assert any("portal" in b for b in feasibility.blockers)
        assert any(m["mount"] == "/" for m in feasibility.findings["mounts"])
        steps = [(c.from_status, c.to_status) for c in history(session, "ctl1")]
    assert steps == [(None, "active"), ("active", "decommissioning")]  # never halted
    shown = env.sop("register", "history", "ctl1")  # type: ignore[attr-defined]
    assert "active → decommissioning oleh budi" in shown.stdout

    # The certificate is signed once the run has finished: the full run with the halt,
    # the certificate and the report is tests/integration/test_dismantle.py (srv2).
    refused = env.sop("dismantle", "sign", request_id, operator="budi")  # type: ignore[attr-defined]
    assert refused.returncode == 2 and "belum ada penghapusan selesai" in refused.stderr


def test_refusals_leave_the_data(sop_env: object, loop_disks: list[str], tmp_path: Path) -> None:
    inventory = sop_env.root / "inventory"  # type: ignore[attr-defined]
    disk, other = loop_disks
    logs = str(tmp_path / "logs")
    # Not in the request's list.
    result = _module(inventory, {"device": other, "allowed_devices": [disk], "log_dir": logs})
    assert result.returncode != 0
    assert f"device {other} ({other}) is not listed for this request" in result.stdout
    # A wildcard.
    result = _module(inventory, {"device": "/dev/loop*", "allowed_devices": ["/dev/loop*"]})
    assert "wildcards and globs are refused" in result.stdout
    # Mounted: a filesystem on the disk, mounted under tmp_path.
    subprocess.run(["mkfs.ext4", "-q", "-F", disk], check=True, capture_output=True)
    mount_point = tmp_path / "mnt"
    mount_point.mkdir()
    subprocess.run(["mount", disk, str(mount_point)], check=True, capture_output=True)
    try:
        (mount_point / "keep.txt").write_text("data that must survive")
        result = _module(inventory, {"device": disk, "allowed_devices": [disk], "log_dir": logs})
        assert result.returncode != 0
        assert f"mounted at {mount_point}" in result.stdout and "nothing written" in result.stdout
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    subprocess.run(["mount", disk, str(mount_point)], check=True)
    try:
        assert (mount_point / "keep.txt").read_text() == "data that must survive"
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)
    assert pattern_left(other)[1] == SIZE // len(PATTERN)
    assert not Path(logs).exists()  # no wipe log: nothing was wiped


def test_the_machines_own_disk_is_refused_in_check_mode(tmp_path: Path) -> None:
    root = system_disk()
    inventory = local_inventory(tmp_path / "inv")
    # Check mode: even a broken refusal could not write; the message must come from
    # the system-disk check, before any device is opened.
    result = _module(inventory, {"device": root, "allowed_devices": [root]}, "--check")
    assert result.returncode != 0
    assert "is a disk this host runs from (system disk); refused" in result.stdout


def test_check_mode_and_idempotence_by_proof(sop_env: object, loop_disks: list[str]) -> None:
    inventory = sop_env.root / "inventory"  # type: ignore[attr-defined]
    disk = loop_disks[0]
    logs = str(sop_env.root / "logs")  # type: ignore[attr-defined]
    args = {"device": disk, "allowed_devices": [disk], "log_dir": logs, "skip_if_zero": True}
    check = _module(inventory, args, "--check", "--diff")
    assert check.returncode == 0 and "would wipe" in check.stdout
    assert pattern_left(disk)[1] == SIZE // len(PATTERN)
    first = _module(inventory, args)
    assert first.returncode == 0 and "CHANGED" in first.stdout, first.stdout
    assert pattern_left(disk) == (0, 0)
    second = _module(inventory, args)
    assert second.returncode == 0 and "SUCCESS" in second.stdout, second.stdout
    assert "already all zero (full read proves)" in second.stdout
