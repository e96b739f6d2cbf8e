"""SOP 5.1: what an nwipe log says about the boot disk it erased (issue 16).

The log is one nwipe 0.33 really wrote here (`nwipe --autonuke --nogui
--method=zero --verify=last` on an 8 MiB loop device); a run of nwipe itself is in
tests/integration/test_dismantle.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner.errors import SopError
from sop_runner.procedures.dismantle.bootdisk import nwipe_summary

LOG = (
    (Path(__file__).parent / "data" / "nwipe-0.33-loop3.log")
    .read_bytes()
    .decode("utf-8", errors="replace")
)


def test_a_verified_nwipe_log_is_read_for_its_device() -> None:
    summary = nwipe_summary(LOG, "/dev/loop3")
    assert summary == {
        "tool": "nwipe 0.33",
        "method": "Fill With Zeros",
        "bytes_written": 8388608,
        "bytes_read": 8388608,
        "verified": True,
    }


def test_a_log_of_another_disk_or_tool_is_refused_and_a_failure_is_not_verified() -> None:
    with pytest.raises(SopError, match="tidak menyebut /dev/sda"):
        nwipe_summary(LOG, "/dev/sda")
    with pytest.raises(SopError, match="bukan log nwipe"):
        nwipe_summary("dd: 8388608 bytes copied\n", "/dev/loop3")
    failed = LOG.replace("[SUCCESS] Verified", "[FAILURE] Verification failed; not verified")
    assert nwipe_summary(failed, "/dev/loop3")["verified"] is False
