"""The rules of SOP 5.1, pure: what blocks a dismantling, what a certificate says, who signs.

No session and no files here: the recorders, the certificate module and the
documents hand in what they read.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any, Protocol

from sop_runner import audit
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.dismantle.models import DiskWipe

ORGANIZATION = "Dinas Komunikasi dan Informatika Kabupaten Tegal (Pusat Data)"
# Who may validate a certificate as the second person (NIST SP 800-88 Appendix G).
SIGN_ROLES = ("penanggung_jawab", "pimpinan")
_PSEUDO_FILESYSTEMS = ("proc", "sysfs", "tmpfs")


class RegisteredDevice(Protocol):
    """What the register tells about a device (its row, read through its functions)."""

    asset_number: str
    owner: str
    function: str
    status: str


def device_summary(device: RegisteredDevice | None) -> dict[str, Any] | None:
    """Given a device's register entry (or None), return what the documents show of it."""
    if device is None:
        return None
    return {
        "asset_number": device.asset_number,
        "owner": device.owner,
        "function": device.function,
        "status": device.status,
    }


def feasibility_findings(
    host: str,
    facts: dict[str, Any],
    services: list[dict[str, Any]],
    open_grants: list[dict[str, Any]],
    sole_backups: list[dict[str, Any]],
    device: dict[str, Any] | None,
) -> tuple[dict[str, Any], list[str]]:
    """Given what depends on a host, return the findings and what blocks dismantling it.

    Blockers are reported, not enforced: the Pimpinan decides with them in view.
    """
    mounts = [
        m
        for m in facts.get("mounts") or []
        if m.get("mount") and not str(m.get("fstype", "")).startswith(_PSEUDO_FILESYSTEMS)
    ]
    findings = {
        "host": host,
        "services": services,
        "open_grants": open_grants,
        "sole_backups": sole_backups,
        "mounts": [
            {"mount": m.get("mount"), "device": m.get("device"), "fstype": m.get("fstype")}
            for m in mounts
        ],
        "disks": facts.get("disks") or [],
        "interfaces": facts.get("interfaces") or [],
        "network_links": "no network-link register yet (SOP 1.2/3.2)",
        "administrative": {
            "registered": device is not None,
            "asset_number": (device or {}).get("asset_number", ""),
            "owner": (device or {}).get("owner", ""),
            "function": (device or {}).get("function", ""),
            "status": (device or {}).get("status", "unregistered"),
        },
    }
    blockers = []
    if services:
        blockers.append("services still run here: " + ", ".join(s["name"] for s in services))
    if open_grants:
        blockers.append(f"{len(open_grants)} remote-access grant(s) still open")
    if sole_backups:
        blockers.append(f"{len(sole_backups)} backup(s) whose only repository is on this host")
    if device is None:
        blockers.append("not in the device register (no asset number, no owner)")
    elif not device.get("asset_number") or not device.get("owner"):
        blockers.append("register entry lacks the asset number or the owner")
    return findings, blockers


def wipe_note(results: list[dict[str, Any]]) -> str:
    """Given one host's wipe results, return the register note: what was wiped, what failed."""
    done = [r["device"] for r in results if (r.get("verification") or {}).get("passed")]
    failed = ", ".join(r["device"] for r in results if r["device"] not in done)
    return f"data wiped: {', '.join(done) or '-'}" + (f"; wipe failed: {failed}" if failed else "")


def latest_per_device(rows: Sequence[DiskWipe]) -> list[DiskWipe]:
    """Given a run's wipes, oldest first, return the newest of each device (a retry's)."""
    return sorted({(r.host, r.device): r for r in rows}.values(), key=lambda r: r.id)


def certificate_fields(
    wipe: dict[str, Any], device: dict[str, Any] | None, request: dict[str, Any]
) -> dict[str, Any]:
    """Given a wipe, the register entry and the request, return the Appendix G fields signed."""
    media = wipe["media"]
    make = " ".join(p for p in (media.get("vendor", ""), media.get("model", "")) if p)
    return {
        "request": request["id"],
        "host": wipe["host"],
        "media_make_model": make or "—",
        "media_serial": media.get("serial") or "—",
        "media_property_number": (device or {}).get("asset_number") or "—",
        "media_type": media.get("media_type", ""),
        "media_source": f"{wipe['host']} {wipe['device']}"
        + (f" (backing file {media['backing_file']})" if media.get("backing_file") else ""),
        "size_bytes": wipe["size_bytes"],
        "method_type": wipe["method_type"],
        "method_used": wipe["technique"],
        "tool": wipe["tool"],
        "verification_method": wipe["verification"].get("method", ""),
        "verification_passed": wipe["verified"],
        "destination": request.get("destination") or "—",
        "log_sha256": wipe["log_sha256"],
        "wiped_at": wipe["wiped_at"],
    }


def certificate_digest(fields: dict[str, Any]) -> str:
    """Given a certificate's fields, return the SHA-256 both signatures cover."""
    return hashlib.sha256(audit.canonical(fields).encode()).hexdigest()


def sign_text(role: str, signer: str, digest: str) -> str:
    """Given a role, a signer and a certificate digest, return the text the key signs."""
    return f"sop-5.1-certificate:{role}:{signer}:{digest}"


def signing_role(signer: str, roles: Sequence[str], performer: str) -> str:
    """Given a signer, the signer's roles and the run's operator, return the role signed as.

    The run's operator signs as performer; another operator holding one of
    SIGN_ROLES validates as the second person.  Raise SopError for anyone else.
    """
    if signer == performer:
        return "performer"
    if set(SIGN_ROLES) & set(roles):
        return "validator"
    raise SopError(
        _(
            "sign: {signer!r} did not perform the wipe and holds none of {roles}; "
            "the validator must be a second person with one of them"
        ).format(signer=signer, roles=", ".join(SIGN_ROLES))
    )
