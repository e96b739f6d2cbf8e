"""Operators' private keys: created in their home, never in the repo or store."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.errors import SopError
from sop_runner.i18n import _


def key_path(key_dir: Path, operator: str) -> Path:
    return key_dir / f"{operator}.ed25519"


def public_key_b64(private_key: Ed25519PrivateKey) -> str:
    raw = private_key.public_key().public_bytes_raw()
    return base64.b64encode(raw).decode()


def init_key(key_dir: Path, operator: str, force: bool = False) -> str:
    """Given a key directory and operator name, create the private key (0600).

    Return the base64 public key to declare in the operators file.  Raise
    SopError if a key exists already and force is not set.
    """
    path = key_path(key_dir, operator)
    if path.exists() and not force:
        raise SopError(_("key {path}: exists already; use --force to replace it").format(path=path))
    key_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(key_dir, 0o700)
    # Here: verifying signatures (`sop status`) needs none of serialization (issue 17).
    from cryptography.hazmat.primitives import serialization

    private_key = Ed25519PrivateKey.generate()
    pem = private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    # Created 0600 from the start: the key is never readable by others, even briefly.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(pem)
    return public_key_b64(private_key)


def load_key(key_dir: Path, operator: str) -> Ed25519PrivateKey:
    """Given a key directory and operator, return the private key.

    Raise SopError if it is missing, unreadable or readable by others, or if the key
    folder is open to others (it must be 0700, the key 0600).
    """
    path = key_path(key_dir, operator)
    if key_dir.is_dir() and key_dir.stat().st_mode & 0o077:
        # A folder others may enter shows whose keys it holds, and one they may write
        # lets them put another key in its place: refused, as a readable key is.
        mode = key_dir.stat().st_mode & 0o777
        raise SopError(
            _("key folder {folder}: open to others (mode {mode}); run `chmod 700 {folder}`").format(
                folder=key_dir, mode=f"{mode:04o}"
            )
        )
    if not path.exists():
        raise SopError(
            _("key of {operator!r}: not found at {path}; create it with `sop keys init`").format(
                operator=operator, path=path
            )
        )
    if path.stat().st_mode & 0o077:
        raise SopError(
            _("key {path}: readable by others; run `chmod 600 {path}`").format(path=path)
        )
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise SopError(_("key {path}: not an ed25519 private key").format(path=path))
    return key


def sign(key_dir: Path, operator: str, payload: str) -> str:
    """Given an operator and a text, return the hex ed25519 signature over it."""
    return load_key(key_dir, operator).sign(payload.encode()).hex()
