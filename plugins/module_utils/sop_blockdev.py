"""Block devices as the kernel shows them, and why one must not be wiped (SOP 5.1).

The disk_wipe module asks here, for every device it is told to wipe, before it
writes anything: is the name one device under /dev, is it in the request's list,
and is it free?  "Free" is judged through the whole stack, read from sysfs and
/proc:

- above the device: its partitions, whatever holds it (device-mapper, md), and
  loop devices whose backing file is the device, recursively; none may be
  mounted or used as swap, and nothing but its own partitions may use it;
- beneath it: the disk a partition belongs to, the disks a device-mapper or md
  device is built from (``slaves``), and the block device a loop device reads
  and writes (its backing file, when that is a block device), recursively; none
  may be the disk the host runs from, mounted or used as swap, and a disk used
  whole beneath it may carry nothing else that is in use.

A loop device over a regular file is a leaf: the file is its medium, and the
filesystem holding the file is not written through it except inside that file.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WILDCARD_CHARS = set("*?[]{}")
WHOLE_MACHINE_NAMES = {"all", "any", "*", "every", "/dev", "/dev/"}
SYSTEM_MOUNTS = ("/", "/usr", "/boot", "/boot/efi", "/var", "/etc", "/home")
LOOP_GET_STATUS64 = 0x4C05
LOOP_INFO64_SIZE = 232  # struct loop_info64: lo_device, lo_inode, lo_rdevice come first
MAX_SYMLINKS = 40

# A loop device's backing, as ``loop_backing`` says it: "" a regular file,
# "M:m" a block device, None not known (cannot be read from here).
LoopBacking = Callable[[str], "str | None"]


class Refused(Exception):
    """The wipe must not happen; the message says why, the device is untouched."""


# --- names: one device under /dev, in the request's list -----------------------


def validate_name(path: str, what: str = "device") -> None:
    """Given a device path as typed, return if it names one device; raise Refused otherwise."""
    text = (path or "").strip()
    if not text or text.lower() in WHOLE_MACHINE_NAMES:
        raise Refused(f"{what} {path!r}: names no single device (whole-machine names refused)")
    if WILDCARD_CHARS & set(text):
        raise Refused(f"{what} {path!r}: wildcards and globs are refused; name one device")
    if not text.startswith("/dev/") or text.rstrip("/") == "/dev":
        raise Refused(f"{what} {path!r}: must be an absolute path under /dev, e.g. /dev/loop3")


def _writable_by_others(directory: str) -> bool:
    """Given a directory, return whether someone other than root may add or replace entries."""
    try:
        st = os.stat(directory)
    except OSError:
        return True
    return st.st_uid != 0 or bool(st.st_mode & (stat.S_IWGRP | stat.S_IWOTH))


def resolve_device(path: str, what: str = "device") -> str:
    """Given a device path, return it resolved ('..' and symlinks); raise Refused if unsafe.

    The rules are judged on what the path means, not on how it is spelled: the
    normalised path and the resolved one must both lie under /dev, and every
    symlink followed on the way must sit in a directory only root can change
    (a link in /dev/shm could be pointed at another disk after the approval).
    """
    validate_name(path, what)
    text = path.strip()
    lexical = os.path.normpath(text)
    if not lexical.startswith("/dev/"):
        raise Refused(
            f"{what} {path!r}: must be a path under /dev (it is {lexical} once '..' is resolved)"
        )
    # Walked as the kernel walks it ('..' after a symlink goes up from the link's target).
    pending = [p for p in text.split("/") if p and p != "."]
    current = "/"
    hops = 0
    while pending:
        part = pending.pop(0)
        if part == "..":
            current = os.path.dirname(current)
            continue
        candidate = os.path.join(current, part)
        if not os.path.islink(candidate):
            current = candidate
            continue
        hops += 1
        if hops > MAX_SYMLINKS:
            raise Refused(f"{what} {path!r}: too many symbolic links")
        if _writable_by_others(current):
            raise Refused(
                f"{what} {path!r}: follows the symlink {candidate}, in a directory users "
                "other than root can change; name the device itself"
            )
        target = os.readlink(candidate)
        if target.startswith("/"):
            current = "/"
        pending = [p for p in target.split("/") if p and p != "."] + pending
    if not current.startswith("/dev/"):
        raise Refused(f"{what} {path!r}: resolves to {current}, outside /dev")
    return current


def check_allowed(device: str, allowed: list[str]) -> str:
    """Given a device and the request's device list, return the resolved path.

    Raise Refused if the list is empty, an entry or the device is not one safe
    device path, or the device is not in the list (compared resolved).
    """
    if not allowed:
        raise Refused("allowed_devices is empty: the request lists no device to wipe")
    allowed_real = {resolve_device(entry, "allowed_devices entry") for entry in allowed}
    real = resolve_device(device)
    if real not in allowed_real:
        raise Refused(
            f"device {device} ({real}) is not listed for this request "
            f"(allowed: {', '.join(sorted(allowed))})"
        )
    return real


# --- /proc ---------------------------------------------------------------------


def parse_mountinfo(text: str) -> list[dict[str, str]]:
    """Given /proc/self/mountinfo, return each mount's major:minor, mount point, fs and source."""
    mounts = []
    for line in text.splitlines():
        fields = line.split()
        if " - " not in line or len(fields) < 10:
            continue
        dash = fields.index("-")
        mounts.append(
            {
                "majmin": fields[2],
                "mount_point": _unescape(fields[4]),
                "fstype": fields[dash + 1],
                "source": _unescape(fields[dash + 2]),
                "super_options": fields[dash + 3] if len(fields) > dash + 3 else "",
            }
        )
    return mounts


def _unescape(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\134", "\\")


def parse_swaps(text: str) -> list[str]:
    """Given /proc/swaps, return the swap file or device paths."""
    return [line.split()[0] for line in text.splitlines()[1:] if line.strip()]


def read_text(path: str) -> str:
    """Given a path, return its stripped text, or "" when it cannot be read."""
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def majmin_of(path: str) -> str | None:
    """Given a path, return the major:minor of the block device it is, else None."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISBLK(st.st_mode):
        return f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return None


# --- sysfs: the stack above and beneath a device -------------------------------


class BlockTree:
    """The block devices under a sysfs root, linked as the kernel links them.

    ``loop_backing`` tells what a loop device reads and writes (see
    LoopBacking); sysfs alone cannot, because a loop over a block device shows
    no slaves or holders there.
    """

    def __init__(self, sys_root: str = "/sys", loop_backing: LoopBacking | None = None) -> None:
        self.sys_root = sys_root
        self.loop_backing = loop_backing or (lambda name: read_loop_backing(self, name))
        self._loop_users: dict[str, list[str]] | None = None

    def _dir(self, name: str) -> str:
        return os.path.join(self.sys_root, "class", "block", name)

    def attribute(self, name: str, attr: str) -> str:
        """Given a kernel name and an attribute path, return its text ("" when absent)."""
        return read_text(os.path.join(self._dir(name), attr))

    def majmin(self, name: str) -> str:
        """Given a kernel name, return its major:minor."""
        return self.attribute(name, "dev")

    def name_of(self, majmin: str) -> str | None:
        """Given a major:minor, return the kernel name of that block device, else None."""
        link = os.path.join(self.sys_root, "dev", "block", majmin)
        return os.path.basename(os.path.realpath(link)) if os.path.exists(link) else None

    def _listdir(self, name: str, sub: str) -> list[str]:
        try:
            return sorted(os.listdir(os.path.join(self._dir(name), sub)))
        except OSError:
            return []

    def parent(self, name: str) -> str | None:
        """Given a kernel name, return the disk it is a partition of, else None."""
        if not os.path.exists(os.path.join(self._dir(name), "partition")):
            return None
        return os.path.basename(os.path.dirname(os.path.realpath(self._dir(name))))

    def partitions(self, name: str) -> list[str]:
        """Given a disk's kernel name, return its partitions."""
        real = os.path.realpath(self._dir(name))
        try:
            entries = sorted(os.listdir(real))
        except OSError:
            return []
        return [e for e in entries if os.path.exists(os.path.join(real, e, "partition"))]

    def is_loop(self, name: str) -> bool:
        """Given a kernel name, return whether it is a bound loop device."""
        return bool(self.attribute(name, "loop/backing_file"))

    def read_only(self, name: str) -> bool:
        """Given a kernel name, return whether the kernel marks it read-only."""
        return self.attribute(name, "ro") == "1"

    def loop_users(self) -> dict[str, list[str]]:
        """Return {major:minor: loop devices whose backing file is that block device}.

        Best effort: a loop whose backing cannot be read from here is left out
        (the O_EXCL open and the kernel remain as further guards).
        """
        if self._loop_users is None:
            found: dict[str, list[str]] = {}
            try:
                names = sorted(os.listdir(os.path.join(self.sys_root, "class", "block")))
            except OSError:
                names = []
            for name in names:
                if self.is_loop(name):
                    backing = self.loop_backing(name)
                    if backing:
                        found.setdefault(backing, []).append(name)
            self._loop_users = found
        return self._loop_users

    def above(self, name: str) -> list[tuple[str, str]]:
        """Given a kernel name, return (device, how) for everything built on it, recursively."""
        found: list[tuple[str, str]] = []
        seen = {name}
        pending = [name]
        while pending:
            node = pending.pop(0)
            edges = [(p, f"partition of {node}") for p in self.partitions(node)]
            edges += [(h, f"built on {node}") for h in self._listdir(node, "holders")]
            edges += [
                (loop, f"loop device over {node}")
                for loop in self.loop_users().get(self.majmin(node), [])
            ]
            for upper, how in edges:
                if upper not in seen:
                    seen.add(upper)
                    found.append((upper, how))
                    pending.append(upper)
        return found

    def _lower_edges(self, name: str, strict: bool) -> list[tuple[str, str]]:
        edges: list[tuple[str, str]] = []
        parent = self.parent(name)
        if parent:
            edges.append((parent, "partition"))
        edges += [(s, "component") for s in self._listdir(name, "slaves")]
        if self.is_loop(name):
            backing = self.loop_backing(name)
            if backing is None and strict:
                raise Refused(
                    f"{name}: cannot read what this loop device is backed by; "
                    "cannot prove what lies beneath"
                )
            lower = self.name_of(backing) if backing else None
            if backing and lower is None and strict:
                raise Refused(f"{name}: backed by device {backing}, which sysfs does not show")
            if lower:
                edges.append((lower, "backing device"))
        return edges

    def beneath(self, name: str, strict: bool = True) -> list[tuple[str, str, str]]:
        """Given a kernel name, return (device, how, above it) for everything it is built on.

        ``how`` is "partition" (the disk a partition is part of), "component" (a
        disk of a device-mapper or md device) or "backing device" (of a loop).
        Raise Refused, when ``strict``, if a loop's backing cannot be read.
        """
        found: list[tuple[str, str, str]] = []
        seen = {name}
        pending = [name]
        while pending:
            node = pending.pop(0)
            for lower, how in self._lower_edges(node, strict):
                if lower not in seen:
                    seen.add(lower)
                    found.append((lower, how, node))
                    pending.append(lower)
        return found


def _find_node(dev_dir: str, majmin: str, hint: str) -> str | None:
    """Given a major:minor, return a block device node for it under dev_dir, else None."""
    candidates = [os.path.join(dev_dir, hint)]
    with contextlib.suppress(OSError):
        candidates += [e.path for e in os.scandir(dev_dir)]
    for path in candidates:
        if majmin_of(path) == majmin:
            return path
    return None


def read_loop_backing(tree: BlockTree, name: str, dev_dir: str = "/dev") -> str | None:
    """Given a loop device's kernel name, return its backing as LoopBacking says.

    The kernel's own answer (LOOP_GET_STATUS64: the backing file's rdev) is
    used: the path in sysfs may not exist in this mount namespace.
    """
    node = _find_node(dev_dir, tree.majmin(name), name)
    if node is None:
        # No node here: the path sysfs shows, when it is a block device in this namespace.
        text = tree.attribute(name, "loop/backing_file").removesuffix(" (deleted)")
        return majmin_of(text) if text else None
    try:
        fd = os.open(node, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        info = fcntl.ioctl(fd, LOOP_GET_STATUS64, bytes(LOOP_INFO64_SIZE))
    except OSError as exc:
        return "" if exc.errno == errno.ENXIO else None  # ENXIO: not bound to anything
    finally:
        os.close(fd)
    rdev = struct.unpack_from("=QQQ", info)[2]
    return f"{os.major(rdev)}:{os.minor(rdev)}" if rdev else ""


# --- the host's state, and the judgement ---------------------------------------


@dataclass
class HostState:
    """What is in use on the host: mounts and swap by major:minor, the system devices."""

    mounts: dict[str, list[str]] = field(default_factory=dict)
    swaps: set[str] = field(default_factory=set)
    system: set[str] = field(default_factory=set)


def system_devices(tree: BlockTree, system_majmins: set[str]) -> set[str]:
    """Given the major:minor of what the host runs from, return every device beneath it."""
    found: set[str] = set()
    for majmin in system_majmins:
        name = tree.name_of(majmin)
        if name:
            found.add(name)
            found.update(lower for lower, _, _ in tree.beneath(name, strict=False))
    return found


def _system_majmins(mounts: list[dict[str, str]]) -> set[str]:
    """Given the host's mounts, return the major:minor of the devices under its system mounts."""
    found = set()
    for mount in mounts:
        if mount["mount_point"] not in SYSTEM_MOUNTS:
            continue
        found.add(mount["majmin"])
        source = majmin_of(mount["source"])
        if source:
            found.add(source)
        for option in mount["super_options"].split(","):
            key, _, value = option.partition("=")
            if key in ("lowerdir", "upperdir", "workdir"):
                for part in value.split(":"):
                    try:
                        st = os.stat(part)
                    except OSError:
                        continue
                    found.add(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}")
    for path in SYSTEM_MOUNTS:
        try:
            st = os.stat(path)
        except OSError:
            continue
        if os.major(st.st_dev):
            found.add(f"{os.major(st.st_dev)}:{os.minor(st.st_dev)}")
    return found


def host_state(tree: BlockTree) -> HostState:
    """Given the block tree, return what is mounted, swapped and run from on this host."""
    state = HostState()
    mounts = parse_mountinfo(read_text("/proc/self/mountinfo"))
    for mount in mounts:
        # A btrfs mount shows an anonymous major:minor: its source names the device.
        source = majmin_of(mount["source"]) if mount["source"].startswith("/") else None
        for majmin in {mount["majmin"], source} - {None}:
            state.mounts.setdefault(str(majmin), []).append(mount["mount_point"])
    state.swaps = {m for m in (majmin_of(p) for p in parse_swaps(read_text("/proc/swaps"))) if m}
    state.system = system_devices(tree, _system_majmins(mounts))
    return state


def _use(tree: BlockTree, node: str, state: HostState) -> list[str]:
    majmin = tree.majmin(node)
    used = [f"mounted at {point}" for point in state.mounts.get(majmin, [])]
    if majmin in state.swaps:
        used.append("in use as swap")
    return used


WHERE = {
    "partition": "{lower}, the disk {over} is a partition of",
    "component": "{lower}, a component of {over}",
    "backing device": "{lower}, the backing device of {over}",
}


def refusal_reasons(tree: BlockTree, name: str, state: HostState) -> list[str]:
    """Given a device's kernel name and the host's state, return why it must not be wiped.

    An empty list means free.  Raise Refused if what lies beneath cannot be read.
    """
    reasons: list[str] = []
    if name in state.system:
        reasons.append(f"{name} is a disk this host runs from (system disk); refused")
    if tree.read_only(name):
        reasons.append(f"{name}: read-only device; refused before writing")
    reasons += [f"{name}: {use}" for use in _use(tree, name, state)]
    above = tree.above(name)
    for upper, how in above:
        reasons += [f"{name}: {upper} ({how}) is {use}" for use in _use(tree, upper, state)]
        if not how.startswith("partition"):
            reasons.append(f"{name}: held by {upper} ({how})")
    below = tree.beneath(name)
    # Judged already: the device itself, what is built on it and the chain beneath it.
    mine = {name} | {upper for upper, _ in above} | {lower for lower, _, _ in below}
    for lower, how, over in below:
        where = WHERE[how].format(lower=lower, over=over)
        if lower in state.system:
            reasons.append(f"{name} lies on a disk this host runs from (system disk): {where}")
        reasons += [f"{name}: beneath it {where}, is {use}" for use in _use(tree, lower, state)]
        if how == "partition":
            continue  # the other partitions of that disk are not written through this one
        # A device used whole beneath: whatever else is built on it is overwritten too.
        for upper, upper_how in tree.above(lower):
            if upper not in mine:
                reasons += [
                    f"{name}: beneath it {where}, also carries {upper} ({upper_how}), {use}"
                    for use in _use(tree, upper, state)
                ]
    return list(dict.fromkeys(reasons))


# --- the medium ------------------------------------------------------------------


def _udev(majmin: str, key: str) -> str:
    for line in read_text(f"/run/udev/data/b{majmin}").splitlines():
        if line.startswith(f"E:{key}="):
            return line.split("=", 1)[1]
    return ""


def media(tree: BlockTree, name: str) -> dict[str, Any]:
    """Given a kernel name, return what is known of its medium, for the certificate."""
    majmin = tree.majmin(name)
    loop = tree.is_loop(name)
    rotational = tree.attribute(name, "queue/rotational") == "1"
    found: dict[str, Any] = {
        "model": tree.attribute(name, "device/model") or _udev(majmin, "ID_MODEL"),
        "serial": tree.attribute(name, "device/serial") or _udev(majmin, "ID_SERIAL_SHORT"),
        "vendor": tree.attribute(name, "device/vendor"),
        "rotational": rotational,
        "loop": loop,
        "backing_file": tree.attribute(name, "loop/backing_file") if loop else "",
        "logical_block_size": int(tree.attribute(name, "queue/logical_block_size") or 512),
        "discard_max_bytes": int(tree.attribute(name, "queue/discard_max_bytes") or 0),
    }
    backing = tree.loop_backing(name) if loop else ""
    if loop and backing:
        found["media_type"] = f"loop (over block device {tree.name_of(backing) or backing})"
    elif loop:
        found["media_type"] = "loop (file-backed)"
    elif name.startswith("nvme"):
        found["media_type"] = "NVMe flash"
    else:
        found["media_type"] = "magnetic (HDD)" if rotational else "flash (SSD)"
    return found


def inspect_device(path: str, tree: BlockTree, state: HostState) -> dict[str, Any]:
    """Given a resolved device path, return its kernel name, major:minor and medium.

    Raise Refused if it is not a block device or must not be wiped.
    """
    try:
        st = os.stat(path)
    except OSError as exc:
        raise Refused(f"device {path}: {exc.strerror}") from None
    if not stat.S_ISBLK(st.st_mode):
        raise Refused(f"device {path}: not a block device; refused")
    majmin = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    name = tree.name_of(majmin)
    if name is None:
        raise Refused(f"device {path}: {majmin} is not in sysfs; cannot prove it is free")
    reasons = refusal_reasons(tree, name, state)
    if reasons:
        raise Refused(f"device {path} refused: " + "; ".join(reasons))
    return {"name": name, "majmin": majmin, "media": media(tree, name)}
