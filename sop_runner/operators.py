"""Operators declared in the repository: name, roles, ed25519 public key."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import yaml
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from sop_runner import yamlio
from sop_runner.errors import SopError

# Roles that may operate the system; vendor, tamu and pengguna are subjects.
ROLES = ("pimpinan", "penanggung_jawab", "petugas")


@dataclass(frozen=True)
class Operator:
    name: str
    full_name: str
    roles: tuple[str, ...]
    public_key: str  # base64 of the raw 32-byte ed25519 key

    def verify(self, signature_hex: str, payload: str) -> bool:
        """Given a hex signature and the signed text, return whether it is ours."""
        try:
            key = Ed25519PublicKey.from_public_bytes(base64.b64decode(self.public_key))
            key.verify(bytes.fromhex(signature_hex), payload.encode())
        except (InvalidSignature, ValueError):
            return False
        return True


def load_operators(path: Path) -> dict[str, Operator]:
    """Given the operators file, return the operators by name.

    Raise SopError naming the file and field if it is missing or malformed.
    """
    if not path.exists():
        raise SopError(
            f"operators file {path}: not found; declare operators there "
            "(see `sop keys init`) or set SOP_OPERATORS_FILE"
        )
    try:
        data = yamlio.load(path.read_text()) or {}
    except yaml.YAMLError:
        raise SopError(f"operators file {path}: not valid YAML") from None
    entries = data.get("operators") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise SopError(f"operators file {path}: 'operators' must be a list")
    operators: dict[str, Operator] = {}
    for index, entry in enumerate(entries):
        where = f"operators file {path}: operators[{index}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
            raise SopError(f"{where}.name: required, a string")
        roles = entry.get("roles")
        if not isinstance(roles, list) or not roles or any(r not in ROLES for r in roles):
            raise SopError(f"{where}.roles: a non-empty list of {', '.join(ROLES)}")
        key = entry.get("public_key")
        try:
            if len(base64.b64decode(str(key), validate=True)) != 32:
                raise ValueError
        except ValueError:
            raise SopError(f"{where}.public_key: base64 of a 32-byte ed25519 public key") from None
        operators[entry["name"]] = Operator(
            name=entry["name"],
            full_name=str(entry.get("full_name", entry["name"])),
            roles=tuple(roles),
            public_key=str(key),
        )
    return operators


def get_operator(operators: dict[str, Operator], name: str | None) -> Operator:
    """Given the operators and a name, return that operator.

    Raise SopError if no name was given or it is not declared.
    """
    if not name:
        raise SopError("operator: not given; use --as NAME or set SOP_OPERATOR")
    if name not in operators:
        known = ", ".join(sorted(operators)) or "none declared"
        raise SopError(f"operator: {name!r} is not declared; known operators: {known}")
    return operators[name]
