"""SOP 1.4 with the register: the berita acara's records and the facility's entry.

Step 6, "berita acara pemasangan sarana yang ditandatangani oleh vendor … dan
diketahui penanggung jawab": the vendor signs on paper; the petugas records the
scanned signed copy (its SHA-256) with ``record_scan``, the penanggung jawab
acknowledges with a signed action (``acknowledge``: their ed25519 signature is
the "diketahui").  The official document is berita_acara.py.  Step 7 registers
the facility as a device of its kind (catu daya, AC, CCTV, …) in the request's
room.  A 1.4 request without ``facility`` stays a person's confirmations.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.features import StepOutcome
from sop_runner.i18n import _
from sop_runner.procedures.register import places, service
from sop_runner.procedures.register.models import FacilityRecord
from sop_runner.procedures.register.signing import Actor, actor_name, record

ACK_ACTION = "register.berita_acara.diketahui"


def get_record(session: Session, request_id: int) -> FacilityRecord | None:
    """Given a 1.4 request, return its berita acara record (None when not recorded)."""
    query = select(FacilityRecord).where(FacilityRecord.request_id == request_id)
    return session.scalars(query).first()


def _facility_request(session: Session, request_id: int) -> Any:
    from sop_runner.requests import get_request

    request = get_request(session, request_id)
    if request.procedure_id != "1.4" or "facility" not in request.params:
        raise SopError(
            _(
                "request: {request} is not a 1.4 request naming a facility (--param facility=…)"
            ).format(request=request_id)
        )
    return request


def record_scan(
    session: Session,
    request_id: int,
    scan: Path,
    vendor_name: str,
    actor: Actor,
    vendor_company: str = "",
) -> FacilityRecord:
    """Given a 1.4 request and the scan of the berita acara the vendor signed on paper,
    record the scan's SHA-256 and who signed; return the record.

    Raise SopError when the request is not a facility's 1.4, the scan unreadable or
    empty, the vendor's name empty, or a scan already recorded.
    """
    _facility_request(session, request_id)
    if not vendor_name.strip():
        raise SopError(_("--vendor-name: required: who signed the berita acara for the vendor"))
    try:
        data = scan.read_bytes()
    except OSError as error:
        raise SopError(
            _("--scan: {scan}: cannot be read ({error})").format(scan=scan, error=error.strerror)
        ) from None
    if not data:
        raise SopError(
            _("--scan: {scan}: empty; give the scanned signed copy (PDF or image)").format(
                scan=scan
            )
        )
    if get_record(session, request_id) is not None:
        raise SopError(
            _("request {request}: the berita acara scan is recorded already").format(
                request=request_id
            )
        )
    row = FacilityRecord(
        request_id=request_id,
        vendor_name=vendor_name.strip(),
        vendor_company=vendor_company.strip(),
        scan_name=scan.name,
        scan_sha256=hashlib.sha256(data).hexdigest(),
        recorded_by=actor_name(actor),
        recorded_at=datetime.now(UTC),
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor,
        "register.berita_acara.scan",
        f"request/{request_id}",
        {"scan": row.scan_name, "sha256": row.scan_sha256, "vendor": row.vendor_name},
    )
    return row


def ack_data(row: FacilityRecord) -> dict[str, Any]:
    """Given a berita acara record, return what the penanggung jawab's signature covers."""
    return {"scan_sha256": row.scan_sha256, "vendor": row.vendor_name}


def acknowledge(session: Session, request_id: int, acting: Any) -> FacilityRecord:
    """Given a 1.4 request whose scan is recorded and the penanggung jawab acting, sign the
    acknowledgement ("diketahui"); return the record.

    Raise SopError when the scan is not recorded yet, the person is not a penanggung
    jawab, or it was acknowledged already.
    """
    from sop_runner.operators import require_role

    row = get_record(session, request_id)
    if row is None:
        raise SopError(
            _("request {request}: record the berita acara scan first (--scan)").format(
                request=request_id
            )
        )
    require_role(acting.operator, "penanggung_jawab", "acknowledging a berita acara")
    if row.acknowledged is not None:
        raise SopError(
            _("request {request}: acknowledged already by {name}").format(
                request=request_id, name=row.acknowledged_by
            )
        )
    row.acknowledged = acting.sign(session, ACK_ACTION, f"request/{request_id}", ack_data(row))
    row.acknowledged_by = acting.name
    return row


def berita_acara_step(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.4 run at step 6, return the berita acara's state; raise SopError (the run
    waits) until the scan is recorded and the penanggung jawab has acknowledged it."""
    if "facility" not in request.params:
        return None
    with ctx.session() as session:
        row = get_record(session, request.id)
        if row is None or row.acknowledged is None:
            missing = (
                _("the scan (petugas: --scan FILE --vendor-name NAME)")
                if row is None
                else _("the penanggung jawab's acknowledgement (--acknowledge)")
            )
            raise SopError(
                _(
                    "step 6: the berita acara needs {missing}: `sop register berita-acara "
                    "{request} …`"
                ).format(missing=missing, request=request.id)
            )
        note = (
            f"Berita acara ditandatangani {row.vendor_name} di atas kertas (pindaian "
            f"{row.scan_name}, SHA-256 {row.scan_sha256[:16]}…), diketahui {row.acknowledged_by}"
        )
        return StepOutcome(None, note, {"scan_sha256": row.scan_sha256})


def register_step(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.4 run at step 7, register the facility in the request's room (once)."""
    params = request.params
    if "facility" not in params:
        return None
    name, room = params["facility"], request.targets[0]
    with ctx.session() as session:
        if service.get_device(session, name) is None:
            service.add_device(
                session, name, operator, status="active", run_id=run_id,
                function=params.get("function", ""), kind=params["facility_kind"],
                vendor=params.get("vendor", ""), model=params.get("model", ""),
                serial=params.get("serial", ""),
                notes=f"sarana pendukung, dipasang lewat SOP 1.4 (permintaan {request.id})",
            )  # fmt: skip
            if places.get_room(session, room) is not None:
                places.place_device(session, name, operator, room=room)
    return StepOutcome(
        None,
        f"{name} ({params['facility_kind']}) tercatat di buku daftar perangkat, {room}",
        {"registered": name},
    )


def check_params(ctx: Any, targets: list[str], params: dict[str, Any]) -> None:
    """Given a 1.4 request's parameters, raise SopError when ``facility`` is given without
    its kind, with a kind that is no facility, or names a device already registered."""
    if "facility" not in params:
        return
    kind = params.get("facility_kind")
    if kind not in service.FACILITY_KINDS:
        raise SopError(
            _("--param facility_kind: {kind!r} is not allowed; use one of {allowed}").format(
                kind=kind, allowed=", ".join(service.FACILITY_KINDS)
            )
        )
    with ctx.session() as session:
        if service.get_device(session, params["facility"]) is not None:
            raise SopError(
                _("--param facility: {facility!r} is registered already").format(
                    facility=params["facility"]
                )
            )
