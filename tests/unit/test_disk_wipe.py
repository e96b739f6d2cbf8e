"""Pure helpers of the disk_wipe module and of SOP 5.1's records (no device touched)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.dismantle import (
    certificate_digest,
    certificate_fields,
    feasibility_findings,
)


def _load_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("disk_wipe", REPO_ROOT / "library/disk_wipe.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["disk_wipe"] = module
    spec.loader.exec_module(module)
    return module


dw = _load_module()

MOUNTINFO = (
    "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
    "30 22 7:3 / /mnt/my\\040data rw shared:9 - ext4 /dev/loop3 rw\n"
    "41 22 0:21 / /proc rw - proc proc rw\n"
    "50 22 0:45 / /srv/ov rw - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w\n"
)
LSBLK: dict[str, Any] = {
    "blockdevices": [
        {"name": "vda", "maj:min": "254:0", "type": "disk", "mountpoints": ["/run/netns", "/"]},
        {
            "name": "sdb",
            "maj:min": "8:16",
            "type": "disk",
            "mountpoints": [None],
            "children": [
                {
                    "name": "sdb1",
                    "maj:min": "8:17",
                    "type": "part",
                    "mountpoints": [None],
                    "children": [
                        {"name": "vg-root", "maj:min": "253:1", "type": "lvm", "mountpoints": ["/"]}
                    ],
                },
                {"name": "sdb2", "maj:min": "8:18", "type": "part", "mountpoints": [None]},
            ],
        },
        {"name": "loop3", "maj:min": "7:3", "type": "loop", "mountpoints": ["/mnt/my data"]},
        {"name": "loop4", "maj:min": "7:4", "type": "loop", "mountpoints": [None]},
        {"name": "sdc", "maj:min": "8:32", "type": "disk", "mountpoints": ["[SWAP]"]},
    ]
}


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("", "names no single device"),
        ("all", "whole-machine names refused"),
        ("*", "whole-machine names refused"),
        ("/dev/", "whole-machine names refused"),
        ("/dev/sd*", "wildcards and globs are refused"),
        ("/dev/loop[0-3]", "wildcards and globs are refused"),
        ("/dev/{sda,sdb}", "wildcards and globs are refused"),
        ("sda", "must be an absolute path under /dev"),
        ("/tmp/disk.img", "must be an absolute path under /dev"),
    ],
)
def test_names_that_are_not_one_device_are_refused(name: str, words: str) -> None:
    with pytest.raises(dw.Refused, match=words):
        dw.validate_name(name)


def test_a_device_outside_the_request_is_refused() -> None:
    def same(path: str) -> str:
        return path

    assert dw.check_allowed("/dev/loop4", ["/dev/loop4"], same) == "/dev/loop4"
    with pytest.raises(dw.Refused, match=r"not listed for this request \(allowed: /dev/loop4\)"):
        dw.check_allowed("/dev/loop5", ["/dev/loop4"], same)
    with pytest.raises(dw.Refused, match="lists no device"):
        dw.check_allowed("/dev/loop4", [], same)
    with pytest.raises(dw.Refused, match="allowed_devices entry '/dev/loop\\*'"):
        dw.check_allowed("/dev/loop4", ["/dev/loop*"], same)


def test_a_symlink_in_the_request_is_compared_resolved() -> None:
    links = {"/dev/disk/by-id/x": "/dev/sdb"}
    assert dw.check_allowed("/dev/sdb", ["/dev/disk/by-id/x"], lambda p: links.get(p, p))


def test_mountinfo_parsing() -> None:
    mounts = dw.parse_mountinfo(MOUNTINFO)
    assert mounts[0] == {
        "majmin": "254:0",
        "mount_point": "/",
        "fstype": "ext4",
        "source": "/dev/vda",
        "super_options": "rw",
    }
    assert mounts[1]["mount_point"] == "/mnt/my data"
    assert "lowerdir=/a:/b" in mounts[3]["super_options"]


def test_swaps_parsing() -> None:
    text = "Filename\tType\tSize\tUsed\tPriority\n/dev/sdc\tpartition\t1024\t0\t-2\n"
    assert dw.parse_swaps(text) == ["/dev/sdc"]
    assert dw.parse_swaps("Filename\tType\tSize\tUsed\tPriority\n") == []


def test_system_disks_follow_root_through_partitions_and_lvm() -> None:
    nodes = dw.flatten_lsblk(LSBLK)
    system = dw.system_disks(nodes, set())
    assert {"vda", "sdb", "sdb1", "vg-root", "sdc"} <= system
    assert "loop4" not in system and "loop3" not in system
    # A system disk found by major:minor only (e.g. an overlay's lower layer).
    assert "loop4" in dw.system_disks(nodes, {"7:4"})


def _reasons(name: str, majmin: str, **kw: Any) -> list[str]:
    nodes = dw.flatten_lsblk(LSBLK)
    mounts = dw.parse_mountinfo(MOUNTINFO)
    system = dw.system_disks(nodes, set())
    return dw.in_use_reasons(
        name, majmin, nodes, mounts, kw.get("swaps", set()), kw.get("holders", []), system
    )


def test_in_use_reasons() -> None:
    assert _reasons("loop4", "7:4") == []
    assert any("mounted at /mnt/my data" in r for r in _reasons("loop3", "7:3"))
    assert any("system disk" in r for r in _reasons("vda", "254:0"))
    # The free partition of a disk that also carries / is refused: it is the system disk.
    assert any("system disk" in r for r in _reasons("sdb2", "8:18"))
    assert any("swap" in r for r in _reasons("loop4", "7:4", swaps={"7:4"}))
    assert any("held by dm-0" in r for r in _reasons("loop4", "7:4", holders=["dm-0"]))


def test_method_choice_by_media() -> None:
    loop = {"rotational": False, "loop": True, "media_type": "loop (file-backed)"}
    ssd = {"rotational": False, "loop": False, "media_type": "flash (SSD)"}
    hdd = {"rotational": True, "loop": False, "media_type": "magnetic (HDD)"}
    assert dw.choose_method("clear", ssd, True)["type"] == "Clear"
    assert dw.choose_method("auto", ssd, True)["type"] == "Purge"
    assert dw.choose_method("auto", ssd, False)["type"] == "Clear"
    assert dw.choose_method("auto", hdd, True)["type"] == "Clear"
    assert dw.choose_method("auto", loop, True)["type"] == "Clear"
    with pytest.raises(dw.Refused, match="does not support secure erase"):
        dw.choose_method("purge", loop, False)


def test_sampling_covers_first_last_and_the_share() -> None:
    chunk = 1 << 20
    offsets = dw.sample_offsets(100 * chunk, chunk, 10, seed=7)
    assert offsets[0] == 0 and offsets[-1] == 99 * chunk
    assert len(offsets) == 10 and offsets == sorted(set(offsets))
    assert offsets == dw.sample_offsets(100 * chunk, chunk, 10, seed=7)  # the seed reproduces
    assert dw.sample_offsets(chunk // 2, chunk, 10, seed=1) == [0]


def test_documentation_matches_the_argument_spec() -> None:
    import yaml

    doc = yaml.safe_load(dw.DOCUMENTATION)
    source = (REPO_ROOT / "library/disk_wipe.py").read_text()
    spec_part = source[source.index("argument_spec={") : source.index("supports_check_mode")]
    for option, body in doc["options"].items():
        assert f'"{option}"' in spec_part, option
        assert f'"type": "{body["type"]}"' in spec_part.split(f'"{option}"')[1].split("}")[0]
    assert yaml.safe_load(dw.RETURN)["log_sha256"]["type"] == "str"


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


def test_ansible_doc_renders() -> None:
    import subprocess

    cp = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-M", "library", "disk_wipe"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
    )
    assert cp.returncode == 0, cp.stderr
    assert "allowed_devices" in cp.stdout and "BLKSECDISCARD" in cp.stdout
