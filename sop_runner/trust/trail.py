"""Writing the anchored trail: entries signed by the person who acts, and checkpoints.

Issue 14's wiring calls these where an action is taken: ``signed_append``
writes the action's audit entry with the actor's signature over it and over
the head it follows (the ``signed`` block, see sop_runner/audit.py);
``publish_head``, after the transaction commits, signs a checkpoint of the
chain as it stands and hands it to the witnesses.  sop_runner/trust/anchor.py
verifies what these write.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner import audit
from sop_runner.audit import GENESIS, canonical
from sop_runner.errors import SopError
from sop_runner.trust.actions import SignedAction, sign_action, verify_action
from sop_runner.trust.registry import Registry, RegistryOperator
from sop_runner.trust.trustfile import TrustRoot
from sop_runner.trust.witness import Checkpoint, log_id, make_checkpoint, publish

# SQLAlchemy where it is used: `sop status` verifies signature blocks without the ORM.
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from sop_runner.store.models import AuditEntry


def head_of(engine: Engine) -> tuple[int, str]:
    """Given the store, return the chain's size and newest hash (0 and GENESIS when empty)."""
    from sqlalchemy import text

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


# Who signed in this process, so the command publishes one checkpoint at its end.
_PENDING: dict[str, tuple[TrustRoot, Path, str]] = {}


def sign_and_append(
    session: Session,
    trust: TrustRoot | None,
    key_dir: Path,
    operator: RegistryOperator,
    registry_version: int,
    action: str,
    subject: str,
    data: dict[str, Any],
) -> dict[str, Any]:
    """Given who acts and what they do, append their signed audit entry; return the block.

    The block (fingerprint, time, audit head, registry version, signature) is
    what a row that records the action keeps beside it.  The command will
    publish a checkpoint when it ends (``publish_pending``).
    """
    entry = signed_append(session, key_dir, operator, registry_version, action, subject, data)
    if trust is not None:
        _PENDING[trust.store] = (trust, key_dir, operator.name)
    return dict(json.loads(entry.content)["signed"])


def verify_block(
    block: Mapping[str, Any] | None,
    action: str,
    subject: str,
    data: dict[str, Any],
    signer: str,
    registries: Sequence[Registry],
) -> list[str]:
    """Given a row's signature block and what it should cover, return why it does not hold."""
    if not block:
        return [f"{action} of {subject} carries no signature of {signer}"]
    try:
        signed = SignedAction(
            {
                "action": action,
                "subject": subject,
                "data": json.loads(canonical(data)),
                "signer": signer,
                "fingerprint": block["fingerprint"],
                "time": block["time"],
                "audit_head": block["audit_head"],
                "registry_version": block["registry_version"],
            },
            str(block["signature"]),
        )
    except (KeyError, TypeError):
        return [f"{action} of {subject}: the signature block is malformed"]
    return verify_action(signed, list(registries))


def publish_pending(engine_of: Callable[[str], Engine], warn: Callable[[str], None]) -> None:
    """At the end of a command: publish a checkpoint signed by whoever signed in it.

    A witness that does not take it is said (warn) and does not undo the
    action; the next checkpoint covers it, and `sop audit verify` says until
    then that the newest entries are not yet witnessed.
    """
    from sop_runner import keys

    while _PENDING:
        _, (trust, key_dir, name) = _PENDING.popitem()
        if trust.witness_ssh is None and trust.witness_syslog is None:
            continue
        try:
            publish_head(engine_of(trust.store), trust, name, keys.load_key(key_dir, name))
        except SopError as exc:
            warn(f"checkpoint not published: {exc}")
