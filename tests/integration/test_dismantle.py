"""SOP 5.1 on the lab: a disk of srv2 wiped through SSH by the disk_wipe module.

The runs on this machine's own loop devices (the full procedure, the refusals,
check mode, idempotence) are in tests/component/test_dismantle.py.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from sop_runner.config import REPO_ROOT
from tests.support.wipe_disks import BIN


@pytest.mark.lab
def test_lab_disk_wiped_over_ssh(lab: object) -> None:
    """Wipe one of srv2's loop disks through SSH with the module (check, then for real)."""
    disks = lab.state.wipe_disks  # type: ignore[attr-defined]
    if not disks:
        pytest.skip("the lab exposes no wipe_disks on srv2")
    disk = disks[0]
    args = json.dumps({"device": disk, "allowed_devices": [disk], "log_dir": "/var/tmp/sop-wipe"})
    # The module over SSH, by the lab's admin path (no gate here: the gated runs of 5.1
    # are in tests/component/test_dismantle.py; the automation account takes certificates).
    state = lab.state  # type: ignore[attr-defined]
    admin = ["-e", f"ansible_user={state.admin_user}",
             "-e", f"ansible_ssh_private_key_file={state.ssh_key}"]  # fmt: skip
    try:
        for mode in (["--check"], []):
            cp = subprocess.run(
                [str(BIN / "ansible"), "-i", str(lab.inventory), "srv2", "-m", "disk_wipe",  # type: ignore[attr-defined]
                 "-a", args, *mode, *admin],
                capture_output=True, text=True, cwd=REPO_ROOT, env=lab.ansible_env(),  # type: ignore[attr-defined]
                timeout=300,
            )  # fmt: skip
            assert cp.returncode == 0, cp.stdout + cp.stderr
        read = lab.ssh(  # type: ignore[attr-defined]
            "srv2", f"cmp -n $(blockdev --getsize64 {disk}) {disk} /dev/zero && echo ALLZERO"
        )
        assert "ALLZERO" in read.stdout
    finally:
        # The lab is shared by the session: give the disk its pattern back.
        from sop_runner.lab.disks import refill

        refill(disk, 0)
