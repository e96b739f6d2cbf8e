"""Writing the anchored trail: entries signed by the person who acts, and checkpoints.

Issue 14's wiring calls these where an action is taken: ``signed_append``
writes the action's audit entry with the actor's signature over it and over
the head it follows (the ``signed`` block, see sop_runner/audit.py);
``publish_head``, after the transaction commits, signs a checkpoint of the
chain as it stands and hands it to the witnesses.  sop_runner/trust/anchor.py
verifies what these write.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.audit import GENESIS
from sop_runner.store.models import AuditEntry
from sop_runner.trust.actions import SignedAction, sign_action
from sop_runner.trust.registry import RegistryOperator
from sop_runner.trust.trustfile import TrustRoot
from sop_runner.trust.witness import Checkpoint, log_id, make_checkpoint, publish


def head_of(engine: Engine) -> tuple[int, str]:
    """Given the store, return the chain's size and newest hash (0 and GENESIS when empty)."""
    with engine.connect() as conn:
        row = conn.execute(
            text("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
        ).first()
    return (int(row[0]), str(row[1])) if row is not None else (0, GENESIS)


def publish_head(
    engine: Engine, trust: TrustRoot, signer: str, private_key: Ed25519PrivateKey
) -> Checkpoint:
    """Given the store, the trust root and the acting operator's key, publish a checkpoint
    of the chain as it is now and return it.

    Called after a signed action commits.  Raise WitnessUnavailable if a
    witness did not take it (the action stands; the next checkpoint covers it).
    """
    size, head = head_of(engine)
    checkpoint = make_checkpoint(log_id(trust.store), size, head, signer, private_key)
    publish(trust, checkpoint)
    return checkpoint


def signature_block(signed: SignedAction) -> dict[str, Any]:
    """Given a signed action, return the block its audit entry carries (``content["signed"]``)."""
    payload = signed.payload
    return {
        "fingerprint": payload["fingerprint"],
        "time": payload["time"],
        "audit_head": payload["audit_head"],
        "registry_version": payload["registry_version"],
        "signature": signed.signature,
    }


def signed_append(
    session: Session,
    key_dir: Path,
    operator: RegistryOperator,
    registry_version: int,
    action: str,
    subject: str,
    data: dict[str, Any],
) -> AuditEntry:
    """Given the signer's key dir and registry entry and what they do, append the entry
    with their signature over it and the head it follows.

    Raise SopError if the operator's own key is missing or is not the key the
    registry holds for them (sign_action); nothing is written then.
    """

    def sign(head: str) -> dict[str, Any]:
        now = datetime.now(UTC)
        signed = sign_action(key_dir, operator, action, subject, data, head, registry_version, now)
        return signature_block(signed)

    return audit.append(session, operator.name, action, subject, data, sign=sign)
