#!/usr/bin/python
"""Wipe one block device following NIST SP 800-88 and verify it (SOP 5.1 step 4)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: disk_wipe
short_description: Wipe a block device (NIST SP 800-88 clear or purge) and verify it
description:
  - Erases all user-addressable storage of one block device, the wipe step of
    SOP 5.1 (dismantling hardware), and proves it with a verification pass.
  - C(clear) overwrites every byte with zeros in large O_DIRECT writes, then
    fsyncs (NIST SP 800-88 Clear, overwrite).
  - C(purge) asks the device for a secure erase of its whole range
    (C(BLKSECDISCARD)); a device that does not support it is refused, nothing
    is written. ATA/NVMe sanitize commands are not issued by this module.
  - C(auto) chooses by media type, in line with NIST SP 800-88 Table A
    recommendations (non-rotational, non-loop devices are purged when they
    support secure erase; rotational disks, loop devices and devices without
    secure erase are cleared). The method actually used is returned and logged.
  - After the erase the module reads the device back and compares it with the
    expected content (zeros), either in full or on a documented random sample.
  - Refuses, before anything is opened for writing, a device that is not in
    O(allowed_devices), a wildcard or whole-machine name, a path that is not a
    block device, a device (or any partition or holder of it) that is mounted,
    used as swap or held by another kernel user, and the disk the host itself
    runs from (the disk under C(/), C(/usr), C(/boot), C(/var)).
  - The device is opened with C(O_EXCL), so the kernel refuses it while it is
    mounted or held, and nobody can mount it while it is being wiped.
  - Writes a wipe log on the target and returns it with its SHA-256, which
    goes into the certificate of sanitization.
version_added: "0.1.0"
options:
  device:
    description:
      - The block device to wipe, an absolute path under C(/dev) such as
        C(/dev/loop3). Wildcards and names like C(all) are refused.
    type: str
    required: true
  allowed_devices:
    description:
      - The devices the request (the Pimpinan's order) lists; O(device) must be
        one of them (compared after resolving symlinks).
    type: list
    elements: str
    required: true
  method:
    description:
      - C(clear) overwrite with zeros; C(purge) secure erase by the device;
        C(auto) chosen by media type (see description).
    type: str
    choices: [clear, purge, auto]
    default: clear
  verify:
    description:
      - C(full) reads back every byte; C(sample) reads O(sample_percent) percent
        of the device in random chunks plus the first and the last chunk.
    type: str
    choices: [full, sample]
    default: full
  sample_percent:
    description: Share of the device read back when O(verify=sample).
    type: int
    default: 10
  chunk_mib:
    description: Size of one write and read, in MiB.
    type: int
    default: 4
  skip_if_zero:
    description:
      - Read the whole device first; when every byte is already zero, report no
        change and write nothing (the read is the proof). When false, the device
        is always wiped and the result is always C(changed).
    type: bool
    default: false
  log_dir:
    description: Directory on the target where the wipe log is written.
    type: path
    default: /var/log/sop-wipe
notes:
  - Supports check mode; it then runs every refusal check and reports which
    device, how many bytes and which method, and opens nothing for writing.
  - Supports diff mode (device state before and after).
  - Never wipes more than the one device named; there is no "all disks" mode.
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Wipe a decommissioned data disk, full verification
  disk_wipe:
    device: /dev/loop3
    allowed_devices: "{{ devices }}"
    method: clear
    verify: full
  register: wiped

- name: See what would be wiped
  disk_wipe:
    device: /dev/sdb
    allowed_devices: [/dev/sdb]
  check_mode: true
"""

RETURN = r"""
device:
  description: The device path as given.
  returned: always
  type: str
  sample: /dev/loop3
kernel_name:
  description: The kernel's name of the device.
  returned: always
  type: str
  sample: loop3
size_bytes:
  description: Size of the device (all user-addressable bytes).
  returned: always
  type: int
  sample: 268435456
method:
  description: The method requested.
  returned: always
  type: str
  sample: clear
method_used:
  description: NIST SP 800-88 method type and technique actually used.
  returned: always
  type: dict
  sample: {type: Clear, technique: "overwrite (one pass, zeros)"}
media:
  description: What is known of the medium (model, serial, type, backing file of a loop).
  returned: always
  type: dict
  sample: {model: "", serial: "", media_type: "loop (file-backed)", rotational: false}
bytes_written:
  description: Bytes overwritten (0 for purge, which the device does internally).
  returned: when wiped
  type: int
  sample: 268435456
seconds:
  description: Time of the erase, writes and fsync (not the verification).
  returned: when wiped
  type: float
  sample: 0.74
throughput_mib_s:
  description: Size of the device divided by the erase time, MiB/s.
  returned: when wiped
  type: float
  sample: 345.9
verification:
  description: How the result was checked and what was found.
  returned: when wiped
  type: dict
  sample: {method: full read-back, bytes_read: 268435456, mismatched_bytes: 0, passed: true}
log:
  description: The wipe log text.
  returned: when wiped
  type: str
log_path:
  description: Where the log was written on the target.
  returned: when wiped
  type: str
log_sha256:
  description: SHA-256 of the log text (goes into the certificate).
  returned: when wiped
  type: str
tool:
  description: Name and version of the tool that wiped.
  returned: always
  type: str
  sample: sop-pusatdata disk_wipe 0.1.0 (Python 3.11, Linux 6.1)
"""

import errno  # noqa: E402
import fcntl  # noqa: E402
import hashlib  # noqa: E402
import json  # noqa: E402
import mmap  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import random  # noqa: E402
import socket  # noqa: E402
import stat  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

TOOL_VERSION = "0.1.0"
BLKGETSIZE64 = 0x80081272
BLKSECDISCARD = 0x127D
WILDCARD_CHARS = set("*?[]{}")
WHOLE_MACHINE_NAMES = {"all", "any", "*", "every", "/dev", "/dev/"}
SYSTEM_MOUNTS = ("/", "/usr", "/boot", "/boot/efi", "/var", "/etc", "/home")


class Refused(Exception):
    """The wipe must not happen; the message says why, the device is untouched."""


# --- pure helpers (unit-tested without devices) -------------------------------


def validate_name(path: str, what: str = "device") -> None:
    """Given a device path, return nothing if it names one device; raise Refused otherwise."""
    text = (path or "").strip()
    if not text or text.lower() in WHOLE_MACHINE_NAMES:
        raise Refused(f"{what} {path!r}: names no single device (whole-machine names refused)")
    if WILDCARD_CHARS & set(text):
        raise Refused(f"{what} {path!r}: wildcards and globs are refused; name one device")
    if not text.startswith("/dev/") or text.rstrip("/") == "/dev":
        raise Refused(f"{what} {path!r}: must be an absolute path under /dev, e.g. /dev/loop3")


def check_allowed(device: str, allowed: list[str], resolve: Any = os.path.realpath) -> str:
    """Given a device and the request's device list, return the resolved path; else refuse."""
    if not allowed:
        raise Refused("allowed_devices is empty: the request lists no device to wipe")
    for entry in allowed:
        validate_name(entry, "allowed_devices entry")
    validate_name(device)
    real = resolve(device)
    allowed_real = {resolve(a) for a in allowed}
    if real not in allowed_real:
        raise Refused(
            f"device {device} ({real}) is not listed for this request "
            f"(allowed: {', '.join(sorted(allowed))}); nothing written"
        )
    return str(real)


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


def flatten_lsblk(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Given `lsblk -J` output, return every node with `ancestors` (names, top first) added."""
    found: list[dict[str, Any]] = []

    def walk(node: dict[str, Any], ancestors: list[str]) -> None:
        found.append({**node, "ancestors": list(ancestors)})
        for child in node.get("children") or []:
            walk(child, [*ancestors, node["name"]])

    for top in data.get("blockdevices") or []:
        walk(top, [])
    return found


def _mountpoints(node: dict[str, Any]) -> list[str]:
    points = node.get("mountpoints")
    if points is None:
        points = [node.get("mountpoint")]
    return [p for p in points if p]


def lsblk_related(nodes: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Given flattened lsblk nodes and a kernel name, return it and every node below it."""
    return [n for n in nodes if n["name"] == name or name in n["ancestors"]]


def system_disks(nodes: list[dict[str, Any]], system_majmins: set[str]) -> set[str]:
    """Given lsblk nodes and the major:minor of the system mounts, return the disks under them.

    A disk is a system disk when it, or anything built on it (partition, LVM,
    crypt, md), carries a system mount point or one of ``system_majmins``.
    """
    disks: set[str] = set()
    for node in nodes:
        system = node.get("maj:min") in system_majmins or any(
            p in SYSTEM_MOUNTS or p == "[SWAP]" for p in _mountpoints(node)
        )
        if system:
            disks.add(node["name"])
            disks.update(node["ancestors"])
    return disks


def in_use_reasons(
    name: str,
    majmin: str,
    nodes: list[dict[str, Any]],
    mounts: list[dict[str, str]],
    swap_majmins: set[str],
    holders: list[str],
    system: set[str],
) -> list[str]:
    """Given a device and the host's state, return why it must not be wiped (empty: free)."""
    reasons: list[str] = []
    related = lsblk_related(nodes, name)
    related_majmins = {n.get("maj:min") for n in related} | {majmin}
    own = next((n for n in nodes if n["name"] == name), {"ancestors": []})
    if (
        name in system
        or any(n["name"] in system for n in related)
        or (set(own["ancestors"]) & system)
    ):
        reasons.append(f"{name} is a disk this host runs from (system disk); refused")
    for mount in mounts:
        if mount["majmin"] in related_majmins:
            reasons.append(f"{name}: mounted at {mount['mount_point']} ({mount['fstype']})")
    for node in related:
        for point in _mountpoints(node):
            reasons.append(f"{name}: {node['name']} is mounted at {point}")
    if related_majmins & swap_majmins:
        reasons.append(f"{name}: in use as swap")
    if holders:
        reasons.append(f"{name}: held by {', '.join(sorted(holders))} (device-mapper/md/...)")
    return list(dict.fromkeys(reasons))


def choose_method(requested: str, media: dict[str, Any], secure_erase: bool) -> dict[str, str]:
    """Given the requested method and the medium, return the NIST type and technique to use."""
    clear = {"type": "Clear", "technique": "overwrite (one pass, zeros)", "name": "clear"}
    purge = {
        "type": "Purge",
        "technique": "block erase (BLKSECDISCARD secure discard)",
        "name": "purge",
    }
    if requested == "clear":
        return clear
    if requested == "purge":
        if not secure_erase:
            raise Refused(
                f"purge: {media.get('media_type', 'the device')} does not support secure erase "
                "(BLKSECDISCARD); use method=clear; nothing written"
            )
        return purge
    ssd = not media.get("rotational") and not media.get("loop")
    return purge if ssd and secure_erase else clear


def sample_offsets(size: int, chunk: int, percent: int, seed: int) -> list[int]:
    """Given a device size, return sorted chunk offsets to read: first, last and a random share."""
    count = max(1, -(-size // chunk))
    wanted = max(2, -(-count * max(1, min(percent, 100)) // 100))
    chosen = {0, count - 1}
    rng = random.Random(seed)
    pool = list(range(count))
    rng.shuffle(pool)
    for index in pool:
        if len(chosen) >= min(wanted, count):
            break
        chosen.add(index)
    return sorted(i * chunk for i in chosen)


def sha256_text(text: str) -> str:
    """Given a log text, return its SHA-256 hex digest."""
    return hashlib.sha256(text.encode()).hexdigest()


# --- the host (reads /proc, /sys, runs lsblk) ---------------------------------


def _read(path: str) -> str:
    try:
        with open(path) as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _majmin_of(path: str) -> str | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    if stat.S_ISBLK(st.st_mode):
        return f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    return None


def _system_majmins(mounts: list[dict[str, str]]) -> set[str]:
    found = set()
    for mount in mounts:
        if mount["mount_point"] not in SYSTEM_MOUNTS:
            continue
        found.add(mount["majmin"])
        source_majmin = _majmin_of(mount["source"])
        if source_majmin:
            found.add(source_majmin)
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


def _lsblk(module: Any) -> list[dict[str, Any]]:
    binary = module.get_bin_path("lsblk", required=True)
    rc, out, err = module.run_command(
        [binary, "-J", "-b", "-o", "NAME,PATH,MAJ:MIN,TYPE,SIZE,MOUNTPOINTS,MODEL,SERIAL,ROTA"]
    )
    if rc != 0:
        raise Refused(f"lsblk failed ({err.strip()}); cannot prove the device is free")
    return flatten_lsblk(json.loads(out))


def _holders(name: str) -> list[str]:
    """Given a kernel name, return what holds it or any of its partitions (dm, md, ...)."""
    base = f"/sys/class/block/{name}"
    parts = [name] + [
        entry
        for entry in (sorted(os.listdir(base)) if os.path.isdir(base) else [])
        if os.path.exists(f"{base}/{entry}/partition")
    ]
    found: set[str] = set()
    for part in parts:
        holder_dir = f"/sys/class/block/{part}/holders"
        if os.path.isdir(holder_dir):
            found.update(os.listdir(holder_dir))
    return sorted(found)


def inspect_device(module: Any, path: str) -> dict[str, Any]:
    """Given a device path, return its identity and medium; raise Refused if it is in use."""
    try:
        st = os.stat(path)
    except OSError as exc:
        raise Refused(f"device {path}: {exc.strerror}") from None
    if not stat.S_ISBLK(st.st_mode):
        raise Refused(f"device {path}: not a block device; refused")
    majmin = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    name = os.path.basename(os.path.realpath(f"/sys/dev/block/{majmin}"))
    mounts = parse_mountinfo(_read("/proc/self/mountinfo"))
    swaps = {m for m in (_majmin_of(p) for p in parse_swaps(_read("/proc/swaps"))) if m}
    nodes = _lsblk(module)
    system = system_disks(nodes, _system_majmins(mounts))
    reasons = in_use_reasons(name, majmin, nodes, mounts, swaps, _holders(name), system)
    if reasons:
        raise Refused(f"device {path} refused: " + "; ".join(reasons) + "; nothing written")
    node = next((n for n in nodes if n["name"] == name), {})
    loop = name.startswith("loop")
    sys_dir = f"/sys/class/block/{name}"
    media = {
        "model": (node.get("model") or _read(f"{sys_dir}/device/model") or "").strip(),
        "serial": (node.get("serial") or _read(f"{sys_dir}/device/serial") or "").strip(),
        "vendor": _read(f"{sys_dir}/device/vendor"),
        "rotational": _read(f"{sys_dir}/queue/rotational") == "1",
        "loop": loop,
        "backing_file": _read(f"{sys_dir}/loop/backing_file") if loop else "",
        "logical_block_size": int(_read(f"{sys_dir}/queue/logical_block_size") or 512),
        "discard_max_bytes": int(_read(f"{sys_dir}/queue/discard_max_bytes") or 0),
    }
    if loop:
        media["media_type"] = "loop (file-backed)"
    elif name.startswith("nvme"):
        media["media_type"] = "NVMe flash"
    else:
        media["media_type"] = "magnetic (HDD)" if media["rotational"] else "flash (SSD)"
    return {"name": name, "majmin": majmin, "media": media}


def _size(fd: int) -> int:
    buf = fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8)
    return int(struct.unpack("Q", buf)[0])


def _open_exclusive(path: str, flags: int) -> int:
    try:
        return os.open(path, flags | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise Refused(
                f"device {path}: busy (the kernel refuses exclusive use: mounted or held); "
                "nothing written"
            ) from None
        raise Refused(f"device {path}: cannot open ({exc.strerror})") from None


def _secure_erase_supported(fd: int, size: int) -> bool:
    """Return whether the device accepts BLKSECDISCARD (tried on an empty range only)."""
    try:
        fcntl.ioctl(fd, BLKSECDISCARD, struct.pack("QQ", 0, 0))
    except OSError:
        return False
    return size > 0


def overwrite_zeros(fd: int, size: int, chunk: int) -> int:
    """Given an exclusive O_DIRECT descriptor, overwrite [0, size) with zeros; return bytes."""
    buffer = mmap.mmap(-1, chunk)  # page-aligned, zero-filled
    view = memoryview(buffer)
    written = 0
    try:
        while written < size:
            length = min(chunk, size - written)
            done = os.pwrite(fd, view[:length], written)
            if done <= 0:
                raise OSError(errno.EIO, f"short write at byte {written}")
            written += done
        os.fsync(fd)
    finally:
        view.release()
        buffer.close()
    return written


def read_back(
    fd: int, size: int, chunk: int, offsets: list[int] | None = None
) -> tuple[int, int, int | None]:
    """Given a descriptor, read it back; return (bytes read, non-zero bytes, first bad offset)."""
    buffer = mmap.mmap(-1, chunk)
    view = memoryview(buffer)
    zeros = bytes(chunk)
    read = bad = 0
    first_bad: int | None = None
    positions = offsets if offsets is not None else range(0, size, chunk)
    try:
        for offset in positions:
            length = min(chunk, size - offset)
            got = os.preadv(fd, [view[:length]], offset)
            if got != length:
                raise OSError(errno.EIO, f"short read at byte {offset}")
            read += got
            data = buffer[:length]
            if data != zeros[:length]:
                nonzero = length - data.count(0)
                bad += nonzero
                if first_bad is None:
                    first_bad = offset + next(i for i, b in enumerate(data) if b)
    finally:
        view.release()
        buffer.close()
    return read, bad, first_bad


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _tool() -> str:
    return (
        f"sop-pusatdata disk_wipe {TOOL_VERSION} "
        f"(Python {platform.python_version()}, Linux {platform.release()})"
    )


def wipe(module: Any, params: dict[str, Any]) -> dict[str, Any]:
    """Given the module parameters, refuse or wipe and verify; return the module result."""
    path = params["device"]
    check_allowed(path, params["allowed_devices"])
    info = inspect_device(module, path)
    media = info["media"]
    chunk = max(1, params["chunk_mib"]) * 1024 * 1024
    read_fd = _open_exclusive(path, os.O_RDONLY)
    try:
        size = _size(read_fd)
        secure = media["discard_max_bytes"] > 0 and _secure_erase_supported(read_fd, size)
    finally:
        os.close(read_fd)
    method = choose_method(params["method"], media, secure)
    result: dict[str, Any] = {
        "device": path,
        "kernel_name": info["name"],
        "size_bytes": size,
        "method": params["method"],
        "method_used": {"type": method["type"], "technique": method["technique"]},
        "media": media,
        "tool": _tool(),
        "changed": True,
    }
    after = f"{path}: {size} bytes, all zero ({method['type']}: {method['technique']})\n"
    result["diff"] = {"before": f"{path}: {size} bytes, content as found\n", "after": after}
    if module.check_mode:
        result["msg"] = (
            f"would wipe {path} ({info['name']}, {size} bytes) by {method['type']} "
            f"({method['technique']}), verify {params['verify']}"
        )
        return result
    log: list[str] = [
        "SOP 5.1 wipe log (sop-pusatdata)",
        f"host: {socket.gethostname()}",
        f"device: {path} kernel={info['name']} majmin={info['majmin']} size_bytes={size}",
        f"media: {json.dumps(media, sort_keys=True)}",
        f"tool: {_tool()}",
        f"method: requested={params['method']} type={method['type']} "
        f"technique={method['technique']}",
    ]
    fd = _open_exclusive(path, os.O_RDWR | os.O_DIRECT)
    try:
        if params["skip_if_zero"]:
            pre_read, pre_bad, _ = read_back(fd, size, chunk)
            log.append(f"{_now()} pre-check full read: {pre_read} bytes, non-zero={pre_bad}")
            if pre_bad == 0 and pre_read == size:
                result.update(changed=False, msg=f"{path}: already all zero (full read proves)")
                result["diff"] = {"before": after, "after": after}
                result["verification"] = {
                    "method": "full read-back before wipe",
                    "bytes_read": pre_read,
                    "mismatched_bytes": 0,
                    "passed": True,
                }
                return _finish_log(result, log, params, info["name"], 0, 0.0, size)
        log.append(f"{_now()} start erase")
        started = time.monotonic()
        if method["name"] == "purge":
            fcntl.ioctl(fd, BLKSECDISCARD, struct.pack("QQ", 0, size))
            os.fsync(fd)
            written = 0
        else:
            written = overwrite_zeros(fd, size, chunk)
        seconds = time.monotonic() - started
        log.append(f"{_now()} end erase: bytes_written={written} seconds={seconds:.3f}")
        if params["verify"] == "full":
            offsets = None
            how = "full read-back, compared with zeros"
        else:
            seed = int.from_bytes(os.urandom(4), "big")
            offsets = sample_offsets(size, chunk, params["sample_percent"], seed)
            how = (
                f"sampling: {len(offsets)} chunks of {chunk} bytes "
                f"({params['sample_percent']} %, first and last included, seed {seed}), "
                "compared with zeros"
            )
        got, bad, first_bad = read_back(fd, size, chunk, offsets)
    finally:
        os.close(fd)
    passed = bad == 0 and (offsets is not None or got == size)
    result["verification"] = {
        "method": how,
        "bytes_read": got,
        "mismatched_bytes": bad,
        "first_mismatch_offset": first_bad,
        "passed": passed,
    }
    log.append(
        f"{_now()} verification: {how}; bytes_read={got} non-zero={bad} "
        f"result={'PASSED' if passed else 'FAILED'}"
    )
    result["bytes_written"] = written
    result["msg"] = f"{path}: {size} bytes wiped ({method['type']}), verification " + (
        "passed" if passed else f"FAILED: {bad} non-zero bytes, first at {first_bad}"
    )
    return _finish_log(result, log, params, info["name"], written, seconds, size)


def _finish_log(
    result: dict[str, Any],
    log: list[str],
    params: dict[str, Any],
    name: str,
    written: int,
    seconds: float,
    size: int,
) -> dict[str, Any]:
    throughput = round(size / seconds / 1048576, 1) if seconds > 0 else 0.0
    log.append(f"summary: bytes_written={written} seconds={seconds:.3f} mib_s={throughput}")
    text = "\n".join(log) + "\n"
    os.makedirs(params["log_dir"], mode=0o750, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    log_path = os.path.join(params["log_dir"], f"wipe-{name}-{stamp}.log")
    with open(log_path, "w") as handle:
        handle.write(text)
    result.update(
        bytes_written=written,
        seconds=round(seconds, 3),
        throughput_mib_s=throughput,
        log=text,
        log_path=log_path,
        log_sha256=sha256_text(text),
    )
    return result


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "device": {"type": "str", "required": True},
            "allowed_devices": {"type": "list", "elements": "str", "required": True},
            "method": {"type": "str", "choices": ["clear", "purge", "auto"], "default": "clear"},
            "verify": {"type": "str", "choices": ["full", "sample"], "default": "full"},
            "sample_percent": {"type": "int", "default": 10},
            "chunk_mib": {"type": "int", "default": 4},
            "skip_if_zero": {"type": "bool", "default": False},
            "log_dir": {"type": "path", "default": "/var/log/sop-wipe"},
        },
        supports_check_mode=True,
    )
    try:
        result = wipe(module, module.params)
    except Refused as refusal:
        module.fail_json(msg=str(refusal), refused=True, device=module.params["device"])
    except OSError as exc:
        module.fail_json(msg=f"device {module.params['device']}: I/O error: {exc}", refused=False)
    if not result.get("verification", {}).get("passed", True):
        module.fail_json(**{**result, "failed": True})
    module.exit_json(**result)


if __name__ == "__main__":
    main()
