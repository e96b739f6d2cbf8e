"""Trust: the root-owned trust file, the signed operators registry, signed actions.

Names are labels; keys are identities.  The pimpinan's root keys are pinned in
a root-owned trust file (``trustfile``); they sign each version of the
operators registry (``registry``); every action a person takes is signed by
that person's key (``actions``); names obey one set of identity rules
(``names``).  docs/security.md explains the model to a penanggung jawab.

This module holds the vocabulary the others share: how a public key is read,
how its fingerprint is written, and how a signature is checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

FINGERPRINT_PREFIX = "SHA256:"
SHORT_FINGERPRINT_LENGTH = 12


def raw_public_key(public_key: str) -> bytes:
    """Given a base64 ed25519 public key, return its 32 raw bytes.

    Raise ValueError if it is not base64 of exactly 32 bytes.
    """
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError, TypeError):
        raise ValueError("not base64") from None
    if len(raw) != 32:
        raise ValueError("not 32 bytes")
    return raw


def fingerprint(public_key: str) -> str:
    """Given a base64 ed25519 public key, return its fingerprint ``SHA256:<base64>``.

    The form is OpenSSH's (base64 without padding after ``SHA256:``); the hash
    is over the 32 raw key bytes.  Raise ValueError if the key is malformed.
    """
    digest = hashlib.sha256(raw_public_key(public_key)).digest()
    return FINGERPRINT_PREFIX + base64.b64encode(digest).decode().rstrip("=")


def short_fingerprint(public_key: str) -> str:
    """Given a base64 ed25519 public key, return the short fingerprint (12 characters)."""
    return fingerprint(public_key)[len(FINGERPRINT_PREFIX) :][:SHORT_FINGERPRINT_LENGTH]


def signature_valid(public_key: str, signature_hex: str, payload: str) -> bool:
    """Given a base64 public key, a hex signature and the signed text, return whether it holds."""
    try:
        key = Ed25519PublicKey.from_public_bytes(raw_public_key(public_key))
        key.verify(bytes.fromhex(signature_hex), payload.encode())
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
