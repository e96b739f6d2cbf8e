#!/usr/bin/python
"""Wipe the listed block devices following NIST SP 800-88 and verify them (SOP 5.1 step 4)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: disk_wipe
short_description: Wipe block devices (NIST SP 800-88 clear or purge) and verify them
description:
  - Erases all user-addressable storage of the listed block devices, the wipe
    step of SOP 5.1 (dismantling hardware), and proves it with a verification pass.
  - All or nothing. Every device named is checked (every refusal below) before
    the first byte is written to any of them; one refused device means nothing is
    written to any device. All of them are then opened with C(O_EXCL) and held
    until the end, so none can be mounted while the others are wiped.
  - C(clear) overwrites every byte with zeros in large O_DIRECT writes, then
    fsyncs (NIST SP 800-88 Clear, overwrite).
  - C(purge) asks the device for a secure erase of its whole range
    (C(BLKSECDISCARD)); a device that does not support it is refused, nothing
    is written. ATA/NVMe sanitize commands are not issued by this module.
  - C(auto) chooses by media type, in line with NIST SP 800-88 Table A
    recommendations (non-rotational, non-loop devices are purged when they
    support secure erase; rotational disks, loop devices and devices without
    secure erase are cleared). The method actually used is returned and logged.
  - After the erase the module reads each device back and compares it with the
    expected content (zeros), either in full or on a documented random sample.
  - Refuses a device that is not in O(allowed_devices); a wildcard or
    whole-machine name; a path that is not under C(/dev) once C(..) and symlinks
    are resolved, or that follows a symlink in a directory others than root can
    change (such as C(/dev/shm)); a path that is not a block device; a read-only
    device; and a device that is in use, judged through the whole stack. Above
    it, nothing built on it (partition, device-mapper, md, a loop device over it)
    may be mounted or used as swap, and only its own partitions may use it.
    Beneath it, recursively (the disk of a partition, the disks of a
    device-mapper or md device, the block device a loop device is backed by),
    nothing may be the disk the host runs from (the disk under C(/), C(/usr),
    C(/boot), C(/var)), mounted or swap, nor carry anything else that is.
  - A loop device backed by a regular file is judged as a device of its own;
    the file is its medium.
  - Writes one wipe log per device that was opened for writing, and returns each
    with its SHA-256 (it goes into the certificate of sanitization), also when a
    later device fails.
version_added: "0.1.0"
options:
  devices:
    description:
      - The block devices to wipe, absolute paths under C(/dev) such as
        C(/dev/loop3), wiped one after the other in this order once all of them
        passed every check. Exactly one of O(devices) and O(device) is given.
    type: list
    elements: str
  device:
    description:
      - One block device to wipe; the same as O(devices) with one entry.
        Wildcards and names like C(all) are refused.
    type: str
  allowed_devices:
    description:
      - The devices the request (the Pimpinan's order) lists; every device named
        must be one of them (compared after resolving C(..) and symlinks).
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
        of each device in random chunks plus the first and the last chunk.
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
    description: Directory on the target where the wipe logs are written.
    type: path
    default: /var/log/sop-wipe
notes:
  - Supports check mode; it then runs every refusal check on every device and
    reports which device, how many bytes and which method, and opens nothing for
    writing.
  - Supports diff mode (each device's state before and after).
  - Never wipes more than the devices named; there is no "all disks" mode.
  - The devices are wiped one after the other; the first one that fails (an I/O
    error or a failed verification) stops the run. The task then fails and still
    returns RV(wipes) for every device written to, and RV(not_wiped).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Wipe the decommissioned data disks, all checked before the first write
  disk_wipe:
    devices: "{{ devices }}"
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
wipes:
  description:
    - One entry per device, in the order named. In check mode every device, with
      what would be done; otherwise every device that was opened for writing.
  returned: always, unless refused
  type: list
  elements: dict
  contains:
    device:
      description: The device path as given.
      type: str
      sample: /dev/loop3
    kernel_name:
      description: The kernel's name of the device.
      type: str
      sample: loop3
    size_bytes:
      description: Size of the device (all user-addressable bytes).
      type: int
      sample: 268435456
    method:
      description: The method requested.
      type: str
      sample: clear
    method_used:
      description: NIST SP 800-88 method type and technique actually used.
      type: dict
      sample: {type: Clear, technique: "overwrite (one pass, zeros)"}
    media:
      description: What is known of the medium (model, serial, type, backing file of a loop).
      type: dict
      sample: {model: "", serial: "", media_type: "loop (file-backed)", rotational: false}
    changed:
      description: Whether this device was written to (or would be, in check mode).
      type: bool
    msg:
      description: What happened to this device, in one line.
      type: str
    bytes_written:
      description: Bytes overwritten (0 for purge, which the device does internally).
      type: int
      sample: 268435456
    seconds:
      description: Time of the erase, writes and fsync (not the verification).
      type: float
      sample: 0.74
    throughput_mib_s:
      description: Size of the device divided by the erase time, MiB/s.
      type: float
      sample: 345.9
    verification:
      description: How the result was checked and what was found (C(error) when the wipe stopped).
      type: dict
      sample: {method: full read-back, bytes_read: 268435456, mismatched_bytes: 0, passed: true}
    error:
      description: The error that stopped the wipe of this device, when one did.
      type: str
    log:
      description: The wipe log text.
      type: str
    log_path:
      description: Where the log was written on the target ("" when it could not be written).
      type: str
    log_sha256:
      description: SHA-256 of the log text (goes into the certificate).
      type: str
    tool:
      description: Name and version of the tool that wiped.
      type: str
      sample: sop-pusatdata disk_wipe 0.2.0 (Python 3.11, Linux 6.1)
not_wiped:
  description: The devices not reached because an earlier one failed.
  returned: when a device failed
  type: list
  elements: str
refused:
  description: True when the checks refused the request; nothing was written to any device.
  returned: when refused
  type: bool
"""

import fcntl  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import socket  # noqa: E402
import struct  # noqa: E402
import time  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.sop_blockdev import (  # type: ignore[import-not-found]  # noqa: E402
    BlockTree,
    Refused,
    check_allowed,
    host_state,
    inspect_device,
)
from ansible.module_utils.sop_wipe import (  # type: ignore[import-not-found]  # noqa: E402
    BLKSECDISCARD,
    choose_method,
    device_size,
    open_exclusive,
    overwrite_zeros,
    read_back,
    secure_erase_supported,
    sha256_text,
    verify,
)

TOOL_VERSION = "0.2.0"
NOTHING_WRITTEN = "nothing written to any device"


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _tool() -> str:
    return (
        f"sop-pusatdata disk_wipe {TOOL_VERSION} "
        f"(Python {platform.python_version()}, Linux {platform.release()})"
    )


# --- the checks: every device, before anything is opened for writing -----------


def plan_devices(params: dict[str, Any]) -> list[dict[str, Any]]:
    """Given the module parameters, return one plan per device after every check.

    Raise Refused, naming every refused device and why, if any device is refused.
    """
    paths = params["devices"] or [params["device"]]
    refusals: list[str] = []
    resolved: dict[str, str] = {}
    for path in paths:
        try:
            real = check_allowed(path, params["allowed_devices"])
        except Refused as refusal:
            refusals.append(str(refusal))
            continue
        twin = next((p for p, r in resolved.items() if r == real), None)
        if twin is not None:
            refusals.append(f"device {path}: the same device as {twin} ({real}), listed twice")
        resolved[path] = real
    tree = BlockTree()
    state = host_state(tree)
    plans = []
    for path, real in resolved.items():
        try:
            plans.append(_plan(path, real, tree, state, params))
        except Refused as refusal:
            refusals.append(str(refusal))
    if refusals:
        raise Refused("; ".join(refusals) + f"; {NOTHING_WRITTEN}")
    return plans


def _plan(path: str, real: str, tree: Any, state: Any, params: dict[str, Any]) -> dict[str, Any]:
    info = inspect_device(real, tree, state)
    read_fd = open_exclusive(real, os.O_RDONLY)
    try:
        size = device_size(read_fd)
        secure = info["media"]["discard_max_bytes"] > 0 and secure_erase_supported(read_fd, size)
    finally:
        os.close(read_fd)
    method = choose_method(params["method"], info["media"], secure)
    return {"path": path, "real": real, "size": size, "method": method, **info}


def _entry(plan: dict[str, Any], params: dict[str, Any]) -> dict[str, Any]:
    method = plan["method"]
    return {
        "device": plan["path"],
        "kernel_name": plan["name"],
        "size_bytes": plan["size"],
        "method": params["method"],
        "method_used": {"type": method["type"], "technique": method["technique"]},
        "media": plan["media"],
        "tool": _tool(),
        "changed": True,
    }


def predict(plans: list[dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    """Given the plans, return what a real run would do to each device (check mode)."""
    entries = []
    for plan in plans:
        entry = _entry(plan, params)
        method = plan["method"]
        entry["msg"] = (
            f"would wipe {plan['path']} ({plan['name']}, {plan['size']} bytes) by "
            f"{method['type']} ({method['technique']}), verify {params['verify']}"
        )
        entry["diff"] = {
            "before": f"{plan['path']}: {plan['size']} bytes, content as found\n",
            "after": f"{plan['path']}: {plan['size']} bytes, all zero\n",
        }
        entries.append(entry)
    return entries


# --- the wipe -------------------------------------------------------------------


def wipe_devices(
    plans: list[dict[str, Any]], params: dict[str, Any]
) -> tuple[list[dict[str, Any]], list[str]]:
    """Given the checked plans, wipe and verify each; return (entries, devices not reached).

    Every device is opened exclusively before the first write.  The first device
    that fails stops the run; each device written to has its entry and log.
    Raise Refused (nothing written) if a device cannot be opened exclusively.
    """
    fds: list[int] = []
    try:
        for plan in plans:
            fds.append(open_exclusive(plan["real"], os.O_RDWR | os.O_DIRECT))
    except Refused as refusal:
        for fd in fds:
            os.close(fd)
        raise Refused(f"{refusal}; {NOTHING_WRITTEN}") from None
    entries: list[dict[str, Any]] = []
    try:
        for plan, fd in zip(plans, fds, strict=True):
            entry = wipe_one(fd, plan, [p["path"] for p in plans], params)
            entries.append(entry)
            if not entry["verification"]["passed"]:
                break
    finally:
        for fd in fds:
            os.close(fd)
    return entries, [p["path"] for p in plans[len(entries) :]]


def wipe_one(
    fd: int, plan: dict[str, Any], all_paths: list[str], params: dict[str, Any]
) -> dict[str, Any]:
    """Given an exclusive writable descriptor and its plan, wipe, verify and log one device.

    Never raises for what happens on the device: an error ends the wipe, is
    logged, and comes back in the entry (``error``, verification not passed).
    """
    entry = _entry(plan, params)
    path, size, method = plan["path"], plan["size"], plan["method"]
    chunk = max(1, params["chunk_mib"]) * 1024 * 1024
    log: list[str] = [
        "SOP 5.1 wipe log (sop-pusatdata)",
        f"host: {socket.gethostname()}",
        f"device: {path} resolved={plan['real']} kernel={plan['name']} "
        f"majmin={plan['majmin']} size_bytes={size}",
        f"checks: every device of this call passed every refusal check before the first "
        f"write: {', '.join(all_paths)}",
        f"media: {json.dumps(plan['media'], sort_keys=True)}",
        f"tool: {_tool()}",
        f"method: requested={params['method']} type={method['type']} "
        f"technique={method['technique']}",
    ]
    after = f"{path}: {size} bytes, all zero ({method['type']}: {method['technique']})\n"
    entry["diff"] = {"before": f"{path}: {size} bytes, content as found\n", "after": after}
    written, seconds = 0, 0.0
    verification: dict[str, Any] = {
        "method": "not run",
        "bytes_read": 0,
        "mismatched_bytes": None,
        "first_mismatch_offset": None,
        "passed": False,
    }
    try:
        if params["skip_if_zero"]:
            pre_read, pre_bad, _ = read_back(fd, size, chunk)
            log.append(f"{_now()} pre-check full read: {pre_read} bytes, non-zero={pre_bad}")
            if pre_bad == 0 and pre_read == size:
                entry.update(changed=False, msg=f"{path}: already all zero (full read proves)")
                entry["diff"] = {"before": after, "after": after}
                verification = {
                    "method": "full read-back before wipe",
                    "bytes_read": pre_read,
                    "mismatched_bytes": 0,
                    "passed": True,
                }
                return _finish(entry, log, verification, params, plan, 0, 0.0)
        log.append(f"{_now()} start erase")
        started = time.monotonic()
        try:
            if method["name"] == "purge":
                fcntl.ioctl(fd, BLKSECDISCARD, struct.pack("QQ", 0, size))
                os.fsync(fd)
            else:
                written = overwrite_zeros(fd, size, chunk)
        finally:
            seconds = time.monotonic() - started
        log.append(f"{_now()} end erase: bytes_written={written} seconds={seconds:.3f}")
        verification = verify(fd, size, chunk, params)
        log.append(
            f"{_now()} verification: {verification['method']}; "
            f"bytes_read={verification['bytes_read']} "
            f"non-zero={verification['mismatched_bytes']} "
            f"result={'PASSED' if verification['passed'] else 'FAILED'}"
        )
        first_bad = verification["first_mismatch_offset"]
        entry["msg"] = f"{path}: {size} bytes wiped ({method['type']}), verification " + (
            "passed"
            if verification["passed"]
            else f"FAILED: {verification['mismatched_bytes']} non-zero bytes, first at {first_bad}"
        )
    except Exception as exc:
        # Whatever stopped it, this device was opened for writing: its log must come back.
        written = getattr(exc, "written", written)
        entry["error"] = verification["error"] = str(exc)
        verification["passed"] = False
        log.append(f"{_now()} ERROR, wipe stopped: {exc}; bytes_written={written}")
        entry["msg"] = f"{path}: wipe stopped after {written} of {size} bytes: {exc}"
    return _finish(entry, log, verification, params, plan, written, seconds)


def _finish(
    entry: dict[str, Any],
    log: list[str],
    verification: dict[str, Any],
    params: dict[str, Any],
    plan: dict[str, Any],
    written: int,
    seconds: float,
) -> dict[str, Any]:
    """Given a device's entry and log lines, write the log; return the entry with its hash.

    A log that cannot be written to log_dir still comes back in the entry.
    """
    size = plan["size"]
    throughput = round(size / seconds / 1048576, 1) if seconds > 0 else 0.0
    log.append(f"summary: bytes_written={written} seconds={seconds:.3f} mib_s={throughput}")
    text = "\n".join(log) + "\n"
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    log_path = os.path.join(params["log_dir"], f"wipe-{plan['name']}-{stamp}.log")
    try:
        os.makedirs(params["log_dir"], mode=0o750, exist_ok=True)
        with open(log_path, "w") as handle:
            handle.write(text)
    except OSError as exc:
        entry["log_error"] = f"{log_path}: {exc.strerror}"
        log_path = ""
    entry.update(
        verification=verification,
        bytes_written=written,
        seconds=round(seconds, 3),
        throughput_mib_s=throughput,
        log=text,
        log_path=log_path,
        log_sha256=sha256_text(text),
    )
    return entry


def outcome(entries: list[dict[str, Any]], not_wiped: list[str]) -> dict[str, Any]:
    """Given the entries of a run, return the module result and whether it failed."""
    failed = bool(not_wiped) or any(
        not e.get("verification", {}).get("passed", True) for e in entries
    )
    result: dict[str, Any] = {
        "changed": any(e["changed"] for e in entries),
        "msg": "; ".join(e["msg"] for e in entries),
        "wipes": [{k: v for k, v in e.items() if k != "diff"} for e in entries],
        "diff": [e["diff"] for e in entries if "diff" in e],
        "failed": failed,
    }
    if failed:
        result["not_wiped"] = not_wiped
        if not_wiped:
            result["msg"] += f"; not wiped (an earlier device failed): {', '.join(not_wiped)}"
    return result


def main() -> None:
    from ansible.module_utils.basic import AnsibleModule

    module = AnsibleModule(
        argument_spec={
            "devices": {"type": "list", "elements": "str"},
            "device": {"type": "str"},
            "allowed_devices": {"type": "list", "elements": "str", "required": True},
            "method": {"type": "str", "choices": ["clear", "purge", "auto"], "default": "clear"},
            "verify": {"type": "str", "choices": ["full", "sample"], "default": "full"},
            "sample_percent": {"type": "int", "default": 10},
            "chunk_mib": {"type": "int", "default": 4},
            "skip_if_zero": {"type": "bool", "default": False},
            "log_dir": {"type": "path", "default": "/var/log/sop-wipe"},
        },
        mutually_exclusive=[("devices", "device")],
        required_one_of=[("devices", "device")],
        supports_check_mode=True,
    )
    try:
        plans = plan_devices(module.params)
        if module.check_mode:
            module.exit_json(**outcome(predict(plans, module.params), []))
        entries, not_wiped = wipe_devices(plans, module.params)
    except Refused as refusal:
        module.fail_json(msg=str(refusal), refused=True, changed=False)
    except OSError as exc:  # before the first write: the checks themselves could not read
        module.fail_json(msg=f"I/O error while checking: {exc}; {NOTHING_WRITTEN}", changed=False)
    result = outcome(entries, not_wiped)
    if result["failed"]:
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
