"""Who signed a request's documents, read from the store, with each signature checked.

The requester (penanggung jawab) signed the request itself; approvers signed their
approvals.  Only signatures that verify against the registry version they were made
under are shown (a forged row gets no signature block); expiry does not matter here:
a document records what was signed, not what is still in force.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import gates
from sop_runner.documents.signatures import Signer, block
from sop_runner.requests import request_hash, request_problems
from sop_runner.store.models import Approval, Request


def _approval_holds(approval: Approval, request: Request, trusted: gates.Trusted) -> bool:
    then = trusted.at(approval.registry_version)
    signer = then.get(approval.signer) if then else None
    return (
        signer is not None
        and approval.fingerprint == signer.fingerprint
        and approval.request_hash == request_hash(request)
        and signer.verify(approval.signature, gates.payload(approval, request.procedure_id))
    )


def request_signers(
    session: Session, request: Request, trusted: gates.Trusted, requester_heading: str | None = None
) -> list[Signer]:
    """Given a request, return the signature blocks of its requester and of every approval
    whose signature verifies (in the order they signed)."""
    registry = trusted.current
    found: list[Signer] = []
    if request.signed and not request_problems(request, trusted.history):
        found.append(
            block(
                registry,
                request.requested_by,
                requester_heading,
                str(request.signed["signature"]),
                str(request.signed.get("time", "")),
            )
        )
    approvals = session.scalars(
        select(Approval).where(Approval.request_id == request.id).order_by(Approval.id)
    ).all()
    for approval in approvals:
        if approval.decision == "approve" and _approval_holds(approval, request, trusted):
            found.append(
                block(registry, approval.signer, None, approval.signature, approval.signed_at)
            )
    return found
