"""The disk_wipe module's own logic and SOP 5.1's records (no block device touched).

The refusal checks are tested in test_sop_blockdev.py; real devices in
tests/component/test_dismantle.py; the rendered documentation in
tests/component/test_disk_wipe_doc.py.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from ansible.module_utils import sop_wipe as wi
from ansible.modules import disk_wipe as dw

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.dismantle.policy import (
    certificate_digest,
    certificate_fields,
    feasibility_findings,
    latest_per_device,
    wipe_note,
)


def test_method_choice_by_media() -> None:
    loop = {"rotational": False, "loop": True, "media_type": "loop (file-backed)"}
    ssd = {"rotational": False, "loop": False, "media_type": "flash (SSD)"}
    hdd = {"rotational": True, "loop": False, "media_type": "magnetic (HDD)"}
    assert wi.choose_method("clear", ssd, True)["type"] == "Clear"
    assert wi.choose_method("auto", ssd, True)["type"] == "Purge"
    assert wi.choose_method("auto", ssd, False)["type"] == "Clear"
    assert wi.choose_method("auto", hdd, True)["type"] == "Clear"
    assert wi.choose_method("auto", loop, True)["type"] == "Clear"
    with pytest.raises(dw.Refused, match="does not support secure erase"):
        wi.choose_method("purge", loop, False)


def test_sampling_covers_first_last_and_the_share() -> None:
    chunk = 1 << 20
    offsets = wi.sample_offsets(100 * chunk, chunk, 10, seed=7)
    assert offsets[0] == 0 and offsets[-1] == 99 * chunk
    assert len(offsets) == 10 and offsets == sorted(set(offsets))
    assert offsets == wi.sample_offsets(100 * chunk, chunk, 10, seed=7)  # the seed reproduces
    assert wi.sample_offsets(chunk // 2, chunk, 10, seed=1) == [0]


PARAMS: dict[str, Any] = {
    "method": "clear",
    "verify": "full",
    "sample_percent": 10,
    "chunk_mib": 1,
    "skip_if_zero": False,
}


def _plan(path: str, size: int) -> dict[str, Any]:
    return {
        "path": path,
        "real": path,
        "name": "loop9",
        "majmin": "7:9",
        "size": size,
        "method": wi.choose_method("clear", {}, False),
        "media": {"media_type": "loop (file-backed)"},
    }


def _wipe_medium(medium: Path, flags: int, log_dir: Path) -> dict[str, Any]:
    """Given a 4 KiB file standing for /dev/loop9, opened with flags, return wipe_one's entry."""
    medium.write_bytes(b"\xa5" * 4096)
    fd = os.open(medium, flags)
    try:
        return dw.wipe_one(
            fd, _plan("/dev/loop9", 4096), ["/dev/loop9"], {**PARAMS, "log_dir": str(log_dir)}
        )
    finally:
        os.close(fd)


def test_a_wipe_stopped_by_an_error_still_returns_its_log(tmp_path: Path) -> None:
    """A descriptor the kernel will not write to: the error is logged, hashed and returned."""
    entry = _wipe_medium(tmp_path / "medium", os.O_RDONLY, tmp_path / "logs")
    assert entry["changed"] and entry["bytes_written"] == 0
    assert not entry["verification"]["passed"] and "Bad file descriptor" in entry["error"]
    assert "wipe stopped after 0 of 4096 bytes" in entry["msg"]
    on_disk = Path(entry["log_path"]).read_text()
    assert on_disk == entry["log"] and "ERROR, wipe stopped" in on_disk
    assert entry["log_sha256"] == wi.sha256_text(on_disk)
    assert "passed every refusal check before the first write: /dev/loop9" in on_disk


def test_a_wipe_whose_log_cannot_be_written_still_returns_it(tmp_path: Path) -> None:
    medium = tmp_path / "medium"
    (tmp_path / "not-a-dir").write_text("")
    entry = _wipe_medium(medium, os.O_RDWR, tmp_path / "not-a-dir")
    assert medium.read_bytes() == bytes(4096) and entry["verification"]["passed"]
    assert entry["log_path"] == "" and "not-a-dir" in entry["log_error"]
    assert entry["log_sha256"] == wi.sha256_text(entry["log"])


def test_the_result_fails_and_names_the_devices_not_reached() -> None:
    good = {"msg": "a ok", "changed": True, "verification": {"passed": True}, "diff": {}}
    bad = {"msg": "b stopped", "changed": True, "verification": {"passed": False}}
    result = dw.outcome([good, bad], ["/dev/loop7"])
    assert result["failed"] and result["changed"] and result["not_wiped"] == ["/dev/loop7"]
    assert result["msg"].endswith("not wiped (an earlier device failed): /dev/loop7")
    assert [w["msg"] for w in result["wipes"]] == ["a ok", "b stopped"]
    assert "diff" not in result["wipes"][0]
    assert not dw.outcome([good], [])["failed"]


def test_documentation_matches_the_argument_spec() -> None:
    import yaml

    doc = yaml.safe_load(dw.DOCUMENTATION)
    source = (REPO_ROOT / "library/disk_wipe.py").read_text()
    spec_part = source[source.index("argument_spec={") : source.index("supports_check_mode")]
    for option, body in doc["options"].items():
        assert f'"{option}"' in spec_part, option
        assert f'"type": "{body["type"]}"' in spec_part.split(f'"{option}"')[1].split("}")[0]
    returned = yaml.safe_load(dw.RETURN)
    assert returned["wipes"]["contains"]["log_sha256"]["type"] == "str"
    assert returned["not_wiped"]["elements"] == "str"


def _wipe() -> dict[str, Any]:
    return {
        "host": "srv2",
        "device": "/dev/loop3",
        "size_bytes": 1024,
        "method_type": "Clear",
        "technique": "overwrite (one pass, zeros)",
        "tool": "sop-pusatdata disk_wipe 0.1.0",
        "verification": {"method": "full read-back, compared with zeros", "passed": True},
        "verified": True,
        "log_sha256": "ab" * 32,
        "wiped_at": "2026-01-01 00:00:00 UTC",
        "media": {
            "vendor": "ATA",
            "model": "X1",
            "serial": "S123",
            "media_type": "flash (SSD)",
            "backing_file": "",
        },
    }


def test_certificate_fields_carry_appendix_g() -> None:
    request = {"id": 4, "destination": "gudang"}
    fields = certificate_fields(_wipe(), {"asset_number": "ASET-1"}, request)
    assert fields["media_make_model"] == "ATA X1"
    assert fields["media_serial"] == "S123"
    assert fields["media_property_number"] == "ASET-1"
    assert fields["media_source"] == "srv2 /dev/loop3"
    assert (fields["method_type"], fields["destination"]) == ("Clear", "gudang")
    assert fields["log_sha256"] == "ab" * 32
    unregistered = certificate_fields(_wipe(), None, request)
    assert unregistered["media_property_number"] == "—"
    # The digest covers every field: a changed log hash is a different certificate.
    changed = dict(fields, log_sha256="cd" * 32)
    assert certificate_digest(fields) != certificate_digest(changed)
    assert certificate_digest(fields) == certificate_digest(json.loads(json.dumps(fields)))


def test_the_register_note_says_what_was_wiped_and_what_failed() -> None:
    ok = {"device": "/dev/loop3", "verification": {"passed": True}}
    stopped = {"device": "/dev/loop4", "verification": {"passed": False, "error": "EIO"}}
    assert wipe_note([ok]) == "data wiped: /dev/loop3"
    assert wipe_note([ok, stopped]) == "data wiped: /dev/loop3; wipe failed: /dev/loop4"
    assert wipe_note([stopped]) == "data wiped: -; wipe failed: /dev/loop4"


def test_a_retried_wipe_is_the_one_certified() -> None:
    rows = [
        SimpleNamespace(id=1, host="srv2", device="/dev/loop3"),
        SimpleNamespace(id=2, host="srv2", device="/dev/loop4"),  # failed, then retried
        SimpleNamespace(id=3, host="srv2", device="/dev/loop3"),
        SimpleNamespace(id=4, host="srv2", device="/dev/loop4"),
        SimpleNamespace(id=5, host="srv1", device="/dev/loop4"),
    ]
    assert [r.id for r in latest_per_device(rows)] == [3, 4, 5]  # type: ignore[arg-type]


def test_feasibility_blockers() -> None:
    facts = {
        "mounts": [
            {"mount": "/", "device": "/dev/vda", "fstype": "ext4"},
            {"mount": "/proc", "device": "proc", "fstype": "proc"},
        ],
        "disks": ["vda"],
        "interfaces": ["eth0", "lo"],
    }
    services = [{"name": "portal", "opd": "Diskominfo", "criticality": "normal"}]
    findings, blockers = feasibility_findings("srv2", facts, services, [], [], None)
    assert [m["mount"] for m in findings["mounts"]] == ["/"]
    assert findings["administrative"]["status"] == "unregistered"
    assert blockers == [
        "services still run here: portal",
        "not in the device register (no asset number, no owner)",
    ]
    device = {"asset_number": "A-1", "owner": "BKPSDM", "function": "db", "status": "active"}
    _, clear = feasibility_findings("srv2", facts, [], [], [], device)
    assert clear == []
    _, grants = feasibility_findings("srv2", facts, [], [{"user": "v", "port": 22}], [], device)
    assert grants == ["1 remote-access grant(s) still open"]


def test_the_feasibility_recorder_needs_only_its_session(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The recorder contract is (session, run id, value): the services come from the play,
    grants, backups and the register through their features' functions, and no settings
    or inventory are read (SOP_INVENTORY leads nowhere here)."""
    from sqlalchemy import select

    from sop_runner.procedures import register
    from sop_runner.procedures.dismantle.models import DismantleFeasibility
    from sop_runner.procedures.dismantle.recorders import record_feasibility
    from sop_runner.store import session_scope
    from tests.support.runs import request_and_run

    monkeypatch.setenv("SOP_INVENTORY", str(tmp_path / "no-inventory"))
    services = [{"name": "portal", "opd": "Diskominfo", "criticality": "normal"}]
    facts = {"mounts": [{"mount": "/", "device": "/dev/vda", "fstype": "ext4"}], "disks": ["vda"]}
    with session_scope(f"sqlite:///{tmp_path / 'sop.db'}") as session:
        run = request_and_run(session, "5.1", ["srv2"], {}, "uji")
        register.add_device(session, "srv2", "budi", asset_number="A-1", owner="BKPSDM")
        assert record_feasibility(session, run.id, {"srv2": {**facts, "services": services}}) == 1
        row = session.scalars(select(DismantleFeasibility)).one()
        findings, blockers = row.findings, row.blockers
    assert findings["services"] == services and findings["open_grants"] == []
    assert findings["administrative"]["asset_number"] == "A-1"
    assert blockers == ["services still run here: portal"]
