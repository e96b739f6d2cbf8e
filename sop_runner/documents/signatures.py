"""Signature blocks: who signed a document, as the registry names them, and a short
fingerprint of each ed25519 signature (the hex signature itself is in the store)."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass
from typing import Any

from sop_runner.trust.registry import Registry


@dataclass(frozen=True)
class Signer:
    """One signature block: the title above it, the person, and the signature's fingerprint.

    ``fingerprint`` is empty when the person has not signed electronically (yet).
    """

    heading: str  # e.g. "Penanggung Jawab Pusat Data" or "Yang menerima perintah,"
    name: str  # the operator's name in the registry
    full_name: str
    jabatan: str
    nip: str
    fingerprint: str
    signed_at: str  # ISO time of the signature, or ""

    def as_dict(self) -> dict[str, Any]:
        """Return the block as the store and the QR code keep it."""
        return asdict(self)


def signature_fingerprint(signature_hex: str) -> str:
    """Given an ed25519 signature (hex), return its short fingerprint ('AB12 CD34 EF56 7890').

    Sixteen hex digits of the signature's SHA-256: enough to match a printed page
    with the signature the store holds, short enough to read aloud.
    """
    digest = hashlib.sha256(bytes.fromhex(signature_hex)).hexdigest()[:16].upper()
    return " ".join(digest[i : i + 4] for i in range(0, 16, 4))


def format_nip(nip: str | None) -> str:
    """Given an 18-digit NIP, return it as printed: '19850101 201001 1 001' (birth date,
    appointment month, sex, number); another value as it is."""
    if not nip:
        return ""
    if len(nip) == 18 and nip.isdigit():
        return f"{nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}"
    return nip


def block(
    registry: Registry,
    name: str,
    heading: str | None = None,
    signature_hex: str | None = None,
    signed_at: str = "",
) -> Signer:
    """Given an operator's name and (if they signed) the signature, return their block.

    The jabatan, full name and NIP come from the registry; a name it no longer
    holds is shown as it is, with no NIP.
    """
    operator = registry.get(name)
    jabatan = operator.jabatan if operator else ""
    return Signer(
        heading=heading if heading is not None else jabatan,
        name=name,
        full_name=operator.full_name if operator else name,
        jabatan=jabatan,
        nip=format_nip(operator.nip) if operator else "",
        fingerprint=signature_fingerprint(signature_hex) if signature_hex else "",
        signed_at=signed_at,
    )


def holder_of(registry: Registry, role: str) -> str | None:
    """Given a role, return the name of the first operator holding it, or None."""
    return next((o.name for o in registry.operators if role in o.roles), None)
