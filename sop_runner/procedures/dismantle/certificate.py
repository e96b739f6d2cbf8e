"""The Certificate of Sanitization (NIST SP 800-88 Appendix G) of each disk wiped, and its
two ed25519 signatures: the performer's and a second person's validation."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import audit, keys
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures import register
from sop_runner.procedures.dismantle.models import CertificateSignature, DiskWipe
from sop_runner.procedures.dismantle.policy import (
    certificate_digest,
    certificate_fields,
    device_summary,
    latest_per_device,
    sign_text,
    signing_role,
)
from sop_runner.requests import get_request
from sop_runner.store.models import Request, Run
from sop_runner.store.queries import rows_of_run

# What a certificate shows of a stored wipe as it is (the log itself only as its hash).
_WIPE_COLUMNS = (
    "id",
    "host",
    "device",
    "size_bytes",
    "bytes_written",
    "seconds",
    "throughput_mib_s",
    "method_type",
    "technique",
    "tool",
    "media",
    "verification",
    "verified",
    "log_sha256",
)


def dismantle_request(session: Session, request_id: int) -> Request:
    """Given a request id, return the request.  Raise SopError if it is not SOP 5.1."""
    request = get_request(session, request_id)
    if request.procedure_id != "5.1":
        raise SopError(
            _("request {id} is procedure {procedure}, not 5.1").format(
                id=request_id, procedure=request.procedure_id
            )
        )
    return request


def latest_run(session: Session, request_id: int) -> Run | None:
    """Given a request id, return its newest run (None before the first)."""
    return session.scalars(
        select(Run).where(Run.request_id == request_id).order_by(Run.id.desc())
    ).first()


def request_dict(request: Request) -> dict[str, Any]:
    """Given a 5.1 request, return what its documents and certificates show of it."""
    shown = ("id", "targets", "reason", "requested_by", "params")
    return {
        **{column: getattr(request, column) for column in shown},
        "destination": request.params.get("destination", ""),
    }


def wipe_dict(row: DiskWipe) -> dict[str, Any]:
    """Given a stored wipe, return it for a certificate, with whether its log still matches."""
    return {
        **{column: getattr(row, column) for column in _WIPE_COLUMNS},
        "log_matches": hashlib.sha256(row.log_text.encode()).hexdigest() == row.log_sha256,
        # An external tool's log (the boot disk, erased offline) is attached in full.
        "attached_log": row.log_text if (row.media or {}).get("boot_disk") else "",
        "wiped_at": row.wiped_at.strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def certificates(
    ctx: Context, session: Session, request: dict[str, Any], run: Run | None
) -> list[dict[str, Any]]:
    """Given a 5.1 request (as request_dict) and its run, return one certificate per disk:
    the wipe, the Appendix G fields, their digest and the signatures checked against it."""
    result = []
    for row in latest_per_device(rows_of_run(session, DiskWipe, run, DiskWipe.id)):
        wipe = wipe_dict(row)
        fields = certificate_fields(
            wipe, device_summary(register.get_device(session, row.host)), request
        )
        digest = certificate_digest(fields)
        result.append(
            {
                "wipe": wipe,
                "fields": fields,
                "digest": digest,
                "signatures": _signatures(ctx, session, row.id, digest),
            }
        )
    return result


def _signatures(ctx: Context, session: Session, wipe_id: int, digest: str) -> list[dict[str, Any]]:
    """Given a wipe and its certificate's digest now, return its signatures, each checked:
    valid only when the signer's key signed this very digest."""
    result = []
    for sig in session.scalars(
        select(CertificateSignature)
        .where(CertificateSignature.wipe_id == wipe_id)
        .order_by(CertificateSignature.id)
    ).all():
        operator = ctx.operators.get(sig.signer)
        valid = (
            operator is not None
            and sig.digest == digest
            and operator.verify(sig.signature, sign_text(sig.role, sig.signer, digest))
        )
        result.append(
            {"role": sig.role, "signer": sig.signer, "signed_at": sig.signed_at, "valid": valid}
        )
    return result


class Signed(NamedTuple):
    """One certificate signed: the wiped device and the role it was signed as."""

    host: str
    device: str
    role: str


def sign_certificates(ctx: Context, request_id: int, operator_name: str | None) -> list[Signed]:
    """Given a request and an operator, sign its certificates; return what was signed.

    The run's operator signs as performer; another operator holding the role of
    penanggung jawab or pimpinan signs as the second person's validation.  Raise
    SopError, signing nothing, when the run has not succeeded, a wipe failed its
    verification or the operator may not sign.
    """
    operator = ctx.actor(operator_name)
    with ctx.session() as session:
        request = dismantle_request(session, request_id)
        run = latest_run(session, request_id)
        certs = certificates(ctx, session, request_dict(request), run)
        if run is None or run.status != "succeeded" or not certs:
            raise SopError(
                _("request {id}: no finished wipe to sign; run it first").format(id=request_id)
            )
        role = signing_role(operator.name, operator.roles, run.operator)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        signed = []
        for cert in certs:
            if not cert["wipe"]["verified"]:
                raise SopError(
                    _("wipe {id}: verification failed; cannot certify").format(
                        id=cert["wipe"]["id"]
                    )
                )
            signature = keys.sign(
                ctx.settings.key_dir, operator.name, sign_text(role, operator.name, cert["digest"])
            )
            session.add(
                CertificateSignature(
                    wipe_id=cert["wipe"]["id"],
                    role=role,
                    signer=operator.name,
                    signed_at=now,
                    digest=cert["digest"],
                    signature=signature,
                )
            )
            audit.append(
                session,
                operator.name,
                f"certificate.{role}",
                f"wipe/{cert['wipe']['id']}",
                {"request": request_id, "digest": cert["digest"]},
            )
            signed.append(Signed(cert["wipe"]["host"], cert["wipe"]["device"], role))
    return signed
