"""Names, stacked devices and refusals of plugins/module_utils/sop_blockdev.py.

The stack is judged on a fake sysfs tree written into tmp_path (laid out as the
kernel lays out /sys: class/block links, dev/block major:minor links, partitions
as sub-directories of their disk, holders/slaves, loop/backing_file); a loop's
backing, which the kernel gives by ioctl, comes from a fake table.  The real
stacks (loop over loop, loop over the system disk, swap, read-only) are in
tests/component/test_dismantle_failsafe.py.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from ansible.module_utils import sop_blockdev as bd

# --- names -----------------------------------------------------------------------


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
    with pytest.raises(bd.Refused, match=words):
        bd.resolve_device(name)


def test_a_device_outside_the_request_is_refused() -> None:
    assert bd.check_allowed("/dev/loop4", ["/dev/loop4"]) == "/dev/loop4"
    assert bd.check_allowed("/dev/./loop4", ["/dev/loop4"]) == "/dev/loop4"
    with pytest.raises(bd.Refused, match=r"not listed for this request \(allowed: /dev/loop4\)"):
        bd.check_allowed("/dev/loop5", ["/dev/loop4"])
    with pytest.raises(bd.Refused, match="lists no device"):
        bd.check_allowed("/dev/loop4", [])
    with pytest.raises(bd.Refused, match="allowed_devices entry '/dev/loop\\*'"):
        bd.check_allowed("/dev/loop4", ["/dev/loop*"])


def test_dot_dot_out_of_dev_is_refused_before_the_allow_list(tmp_path: Path) -> None:
    # Spelled under /dev, it is a link in a user's directory: judged by what it means.
    (tmp_path / "link").symlink_to("/dev/loop4")
    sneaky = f"/dev/..{tmp_path}/link"
    with pytest.raises(bd.Refused, match=f"must be a path under /dev \\(it is {tmp_path}/link"):
        bd.check_allowed(sneaky, [sneaky])
    with pytest.raises(bd.Refused, match="allowed_devices entry"):
        bd.check_allowed("/dev/loop4", [sneaky])


def test_a_symlink_others_can_change_is_refused() -> None:
    # /dev/shm is writable by every user: a link there could be re-pointed after approval.
    link = Path(f"/dev/shm/sop-unit-{os.getpid()}")
    link.symlink_to("/dev/null")
    try:
        with pytest.raises(bd.Refused, match="in a directory users other than root can change"):
            bd.resolve_device(str(link))
    finally:
        link.unlink()


def test_mountinfo_and_swaps_parsing() -> None:
    mounts = bd.parse_mountinfo(
        "22 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
        "30 22 7:3 / /mnt/my\\040data rw shared:9 - ext4 /dev/loop3 rw\n"
        "50 22 0:45 / /srv/ov rw - overlay overlay rw,lowerdir=/a:/b,upperdir=/u,workdir=/w\n"
    )
    assert mounts[0] == {
        "majmin": "254:0",
        "mount_point": "/",
        "fstype": "ext4",
        "source": "/dev/vda",
        "super_options": "rw",
    }
    assert mounts[1]["mount_point"] == "/mnt/my data"
    assert "lowerdir=/a:/b" in mounts[2]["super_options"]
    text = "Filename\tType\tSize\tUsed\tPriority\n/dev/sdc\tpartition\t1024\t0\t-2\n"
    assert bd.parse_swaps(text) == ["/dev/sdc"]
    assert bd.parse_swaps("Filename\tType\tSize\tUsed\tPriority\n") == []


# --- a fake sysfs -----------------------------------------------------------------

# name: (major:minor, parent disk or None, devices it is built on (slaves), read-only)
DEVICES: dict[str, tuple[str, str | None, list[str], bool]] = {
    "vda": ("254:0", None, [], False),  # / on it
    "sdb": ("8:16", None, [], False),
    "sdb1": ("8:17", "sdb", [], False),
    "sdb2": ("8:18", "sdb", [], False),
    "dm-1": ("253:1", None, ["sdb1"], False),  # LVM root: / on it
    "sdc": ("8:32", None, [], False),  # swap
    "sde": ("8:64", None, [], False),
    "sde1": ("8:65", "sde", [], False),
    "sde2": ("8:66", "sde", [], False),  # mounted at /srv
    "sdf": ("8:80", None, [], False),
    "md0": ("9:0", None, ["sde1", "sdf"], False),
    "loop3": ("7:3", None, [], False),  # mounted at /mnt/my data
    "loop4": ("7:4", None, [], False),  # free, over a file
    "loop5": ("7:5", None, [], False),  # over loop3
    "loop6": ("7:6", None, [], False),  # over vda
    "loop7": ("7:7", None, [], False),  # over sdc (swap)
    "loop8": ("7:8", None, [], False),  # over loop9
    "loop9": ("7:9", None, [], False),  # free, over a file
    "loop10": ("7:10", None, [], False),  # over a file; dm-2 and dm-3 on it
    "dm-2": ("253:2", None, ["loop10"], False),
    "dm-3": ("253:3", None, ["loop10"], False),  # mounted at /data
    "loop11": ("7:11", None, [], False),  # backing not readable here
    "sr0": ("11:0", None, [], True),
}
# A loop's backing as the kernel tells it: "" a regular file, "M:m" a block device.
FAKE_LOOP_BACKING: dict[str, str | None] = {
    "loop3": "",
    "loop4": "",
    "loop5": "7:3",
    "loop6": "254:0",
    "loop7": "8:32",
    "loop8": "7:9",
    "loop9": "",
    "loop10": "",
    "loop11": None,
}
MOUNTS = {"254:0": ["/"], "253:1": ["/"], "8:66": ["/srv"], "7:3": ["/mnt/my data"]}
MOUNTS["253:3"] = ["/data"]


def _fake_sysfs(root: Path) -> Any:
    """Given a directory, write DEVICES there as sysfs shows them; return a BlockTree on it."""
    (root / "class" / "block").mkdir(parents=True)
    (root / "dev" / "block").mkdir(parents=True)
    for name, (majmin, parent, _, read_only) in DEVICES.items():
        where = root / "devices" / "virtual" / "block"
        node = (where / parent / name) if parent else (where / name)
        for sub in ("holders", "slaves", "queue"):
            (node / sub).mkdir(parents=True, exist_ok=True)
        (node / "dev").write_text(majmin + "\n")
        (node / "ro").write_text("1\n" if read_only else "0\n")
        if parent:
            (node / "partition").write_text(name[-1] + "\n")
        if name in FAKE_LOOP_BACKING:
            (node / "loop").mkdir()
            (node / "loop" / "backing_file").write_text(f"/var/tmp/{name}.img\n")
        (root / "class" / "block" / name).symlink_to(node)
        (root / "dev" / "block" / majmin).symlink_to(node)
    for name, (_, _, slaves, _) in DEVICES.items():
        for lower in slaves:
            (root / "class" / "block" / name / "slaves" / lower).symlink_to(
                root / "class" / "block" / lower
            )
            (root / "class" / "block" / lower / "holders" / name).symlink_to(
                root / "class" / "block" / name
            )
    return bd.BlockTree(str(root), loop_backing=FAKE_LOOP_BACKING.get)


@pytest.fixture
def fake_host(tmp_path: Path) -> tuple[Any, Any]:
    tree = _fake_sysfs(tmp_path / "sys")
    state = bd.HostState(
        mounts=MOUNTS,
        swaps={"8:32"},
        system=bd.system_devices(tree, {"254:0", "253:1"}),
    )
    return tree, state


def test_fake_sysfs_links_like_the_kernel(fake_host: tuple[Any, Any]) -> None:
    tree, _ = fake_host
    assert tree.name_of("8:17") == "sdb1" and tree.majmin("md0") == "9:0"
    assert tree.parent("sdb1") == "sdb" and tree.parent("sdb") is None
    assert tree.partitions("sdb") == ["sdb1", "sdb2"]
    assert tree.is_loop("loop4") and not tree.is_loop("sdb")
    assert ("loop5", "loop device over loop3") in tree.above("loop3")
    assert ("dm-1", "built on sdb1") in tree.above("sdb")
    assert ("sdb1", "component", "dm-1") in tree.beneath("dm-1")
    assert ("sdb", "partition", "sdb1") in tree.beneath("dm-1")


def test_the_system_set_follows_root_through_lvm_and_partitions(
    fake_host: tuple[Any, Any],
) -> None:
    _, state = fake_host
    assert {"vda", "dm-1", "sdb1", "sdb"} <= state.system
    assert not {"sdb2", "loop4", "loop6", "sdc"} & state.system


def _reasons(fake_host: tuple[Any, Any], name: str) -> str:
    tree, state = fake_host
    return " | ".join(bd.refusal_reasons(tree, name, state))


def test_free_devices_have_no_reasons(fake_host: tuple[Any, Any]) -> None:
    for name in ("loop4", "loop8", "md0"):
        assert _reasons(fake_host, name) == "", name


def test_devices_in_use_themselves_or_above(fake_host: tuple[Any, Any]) -> None:
    assert "loop3: mounted at /mnt/my data" in _reasons(fake_host, "loop3")
    assert "vda is a disk this host runs from (system disk); refused" in _reasons(fake_host, "vda")
    assert "in use as swap" in _reasons(fake_host, "sdc")
    assert "sr0: read-only device; refused before writing" in _reasons(fake_host, "sr0")
    # A disk whose partition is mounted, and the held partition of a system disk.
    sde = _reasons(fake_host, "sde")
    assert "sde2 (partition of sde) is mounted at /srv" in sde
    assert "held by md0 (built on sde1)" in sde
    # The free partition of a disk that also carries / is refused: it is the system disk.
    assert "system disk" in _reasons(fake_host, "sdb2")
    # A loop device over a disk holds it: wiping the disk would wipe the loop's content.
    assert "loop9: held by loop8 (loop device over loop9)" in _reasons(fake_host, "loop9")


def test_stacked_devices_are_judged_by_what_lies_beneath(fake_host: tuple[Any, Any]) -> None:
    over_mounted = _reasons(fake_host, "loop5")
    assert "beneath it loop3, the backing device of loop5, is mounted at /mnt/my data" in (
        over_mounted
    )
    over_system = _reasons(fake_host, "loop6")
    assert "loop6 lies on a disk this host runs from (system disk): vda" in over_system
    assert "beneath it sdc, the backing device of loop7, is in use as swap" in _reasons(
        fake_host, "loop7"
    )
    # md over a partition: only that partition is written, not its mounted sibling.
    assert _reasons(fake_host, "md0") == ""
    # dm over a loop that also carries a mounted dm: the whole loop is not its own.
    assert "loop10, a component of dm-2, also carries dm-3" in _reasons(fake_host, "dm-2")


def test_the_medium_of_a_loop_says_what_backs_it(fake_host: tuple[Any, Any]) -> None:
    tree, _ = fake_host
    assert bd.media(tree, "loop4")["media_type"] == "loop (file-backed)"
    over = bd.media(tree, "loop5")
    assert over["media_type"] == "loop (over block device loop3)"
    assert over["backing_file"] == "/var/tmp/loop5.img" and over["loop"]
    assert bd.media(tree, "sdb")["media_type"] == "flash (SSD)"


def test_a_loop_whose_backing_cannot_be_read_is_refused(fake_host: tuple[Any, Any]) -> None:
    tree, state = fake_host
    with pytest.raises(bd.Refused, match="cannot prove what lies beneath"):
        bd.refusal_reasons(tree, "loop11", state)
