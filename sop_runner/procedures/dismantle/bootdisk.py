"""SOP 5.1: the boot disk, erased offline by an external tool, recorded with its log.

The disk a device runs from cannot be wiped from the running system (disk_wipe
refuses it), so after step 5 has halted the device the petugas erases it with an
external tool booted from other media (e.g. nwipe) and records that here: the
tool's own log is stored with its SHA-256 and goes into the device's certificate
of sanitization like any wipe, signed by the performer and validated by a second
person.  What the log says (device, method, verification) is read from it, not
typed: an nwipe log that does not show the device verified empty is recorded as
not verified, and no certificate of it can be signed.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.dismantle.certificate import dismantle_request, latest_run
from sop_runner.procedures.dismantle.models import DiskWipe
from sop_runner.store.models import StepRecord

SHUTDOWN_STEP = 5
MAX_LOG_BYTES = 4 * 1024 * 1024
_DEVICE = re.compile(r"^/dev/[A-Za-z0-9][A-Za-z0-9._/-]*$")
_NWIPE_BANNER = re.compile(r"banner\s+=\s+(nwipe [0-9][0-9.]*)")
_NWIPE_METHOD = re.compile(r"method\s+=\s+(.+)")
_NWIPE_WRITTEN = re.compile(r"(\d+) bytes written to (\S+)")
_NWIPE_READ = re.compile(r"(\d+) bytes read from (\S+)")


def nwipe_summary(log: str, device: str) -> dict[str, Any]:
    """Given the text of an nwipe log and the device it should be about, return what it says.

    ``tool`` (nwipe and its version), ``method`` (as nwipe names it), ``bytes_written``
    and ``bytes_read`` (for that device, the largest figure), ``verified`` (nwipe's
    "[SUCCESS] Verified that DEVICE is empty" and no "[FAILURE]" line).  Raise SopError
    if it is no nwipe log, or names another device than ``device``.
    """
    banner = _NWIPE_BANNER.search(log)
    if banner is None:
        raise SopError(_("--log: not an nwipe log (no 'banner = nwipe …' line)"))
    if f" {device}" not in log:
        raise SopError(
            _("--log: the nwipe log does not name {device}; it is another disk's").format(
                device=device
            )
        )
    method = _NWIPE_METHOD.search(log)
    written = [int(n) for n, dev in _NWIPE_WRITTEN.findall(log) if dev.rstrip(".") == device]
    read = [int(n) for n, dev in _NWIPE_READ.findall(log) if dev.rstrip(".") == device]
    verified = f"[SUCCESS] Verified that {device} is empty" in log and "[FAILURE]" not in log
    return {
        "tool": banner.group(1),
        "method": method.group(1).strip() if method else "",
        "bytes_written": max(written, default=0),
        "bytes_read": max(read, default=0),
        "verified": verified,
    }


def _read_log(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise SopError(
            _("--log: cannot read {path}: {error}").format(path=path, error=error.strerror)
        ) from None
    if not raw.strip():
        raise SopError(
            _("--log: {path} is empty; give the erasing tool's own log").format(path=path)
        )
    if len(raw) > MAX_LOG_BYTES:
        raise SopError(
            _("--log: {path} is larger than {size} MiB").format(
                path=path, size=MAX_LOG_BYTES // 1024 // 1024
            )
        )
    # nwipe writes the disk's raw serial number: keep every byte seen, replaced if not text.
    return raw.decode("utf-8", errors="replace")


def record_boot_disk(
    ctx: Context,
    request_id: int,
    operator_name: str | None,
    host: str,
    device: str,
    log_path: Path,
    method_type: str = "clear",
) -> DiskWipe:
    """Given a 5.1 request whose device is halted, record its boot disk's offline erasure.

    The row joins the run's wipes, so the certificate of the device covers it; the
    operator's signed audit entry says who recorded it.  Raise SopError (nothing
    written) when the request is no 5.1, the host is not its target, step 5 has not
    halted it, the device or method is malformed, or the log is unreadable or not
    about that device.
    """
    if not _DEVICE.match(device) or ".." in device:
        raise SopError(
            _("--device: {device!r} is not a disk path under /dev (e.g. /dev/sda)").format(
                device=device
            )
        )
    if method_type not in ("clear", "purge"):
        raise SopError(
            _("--method: {method!r} is not allowed; allowed: clear, purge").format(
                method=method_type
            )
        )
    log = _read_log(log_path)
    summary = nwipe_summary(log, device)
    acting = ctx.actor(operator_name)
    with ctx.session() as session:
        request = dismantle_request(session, request_id)
        if host not in request.targets:
            raise SopError(
                _("--host: {host!r} is not a target of request {id} ({targets})").format(
                    host=host, id=request_id, targets=", ".join(request.targets)
                )
            )
        run = latest_run(session, request_id)
        halted = run is not None and session.scalar(
            select(StepRecord.id).where(
                StepRecord.run_id == run.id,
                StepRecord.step_number == SHUTDOWN_STEP,
                StepRecord.status == "done",
            )
        )
        if run is None or not halted:
            raise SopError(
                _(
                    "request {id}: step {step} has not shut {host} down yet; "
                    "the boot disk is erased once the device no longer runs"
                ).format(id=request_id, step=SHUTDOWN_STEP, host=host)
            )
        row = DiskWipe(
            run_id=run.id,
            host=host,
            device=device,
            size_bytes=summary["bytes_written"],
            bytes_written=summary["bytes_written"],
            seconds=0.0,
            throughput_mib_s=0.0,
            method_type=method_type,
            technique=f"{summary['method']} (external tool, device offline)",
            tool=summary["tool"],
            media={"media_type": "boot disk (system disk), erased offline", "boot_disk": True},
            verification={
                "method": "the external tool's own verification (its log attached)",
                "passed": summary["verified"],
                "bytes_read": summary["bytes_read"],
                # nwipe checks the disk is all zeros; it reports no count of other bytes.
                "mismatched_bytes": "—",
            },
            verified=summary["verified"],
            log_text=log,
            log_sha256=hashlib.sha256(log.encode()).hexdigest(),
            wiped_at=datetime.now(UTC),
        )
        session.add(row)
        session.flush()
        acting.sign(
            session,
            "dismantle.boot_disk_recorded",
            f"wipe/{row.id}",
            {
                "request": request_id,
                "host": host,
                "device": device,
                "tool": row.tool,
                "verified": row.verified,
                "log_sha256": row.log_sha256,
            },
        )
        session.expunge(row)
    return row
