"""Who acts: operators come from the signed registry; acting needs one's own key.

The registry (sop_runner/trust/registry.py) is the only list of operators: a
name is a label, the key is the identity.  A person acts as NAME only with
NAME's private key (in their key dir) and only when it is the key the current
registry holds for NAME; with no --as, the Unix user running `sop` decides
through the registry's mapping.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner import keys
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.trust import raw_public_key
from sop_runner.trust.registry import Registry, RegistryOperator, current_unix_user

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sop_runner.trust.trustfile import TrustRoot

# Roles that may operate the system; vendor, tamu and pengguna are subjects.
ROLES = ("pimpinan", "penanggung_jawab", "petugas")


def acting_operator(registry: Registry, key_dir: Path, name: str | None) -> RegistryOperator:
    """Given the registry, the caller's key dir and an --as name (or None), return who acts.

    Raise SopError (nothing written) when the name is not in the registry,
    the Unix user maps to no operator, or the caller does not hold that
    operator's private key (missing, readable by others, or another key).
    """
    if name:
        operator = registry.operator(name)
    else:
        user = current_unix_user()
        found = registry.by_unix_user(user)
        if found is None:
            raise SopError(
                _(
                    "operator: the Unix user {user!r} is no operator in registry version "
                    "{version}; use --as NAME with your own key, or ask the pimpinan "
                    "to add you (docs/security.md)"
                ).format(user=user, version=registry.version)
            )
        operator = found
    private_key = keys.load_key(key_dir, operator.name)
    if raw_public_key(keys.public_key_b64(private_key)) != raw_public_key(operator.public_key):
        raise SopError(
            _(
                "--as {name}: the key at {path} is not {name}'s key in registry version "
                "{version} ({fingerprint}); only {name} acts as {name}"
            ).format(
                name=operator.name,
                path=keys.key_path(key_dir, operator.name),
                version=registry.version,
                fingerprint=operator.short_fingerprint,
            )
        )
    return operator


def require_role(operator: RegistryOperator, role: str, what: str) -> None:
    """Given who acts and the role a step or gate needs, raise SopError unless they hold it."""
    if role not in operator.roles:
        raise SopError(
            _(
                "operator: {name!r} (roles {roles}) does not hold the role {role}, "
                "which {what} needs"
            ).format(name=operator.name, roles=", ".join(operator.roles), role=role, what=what)
        )


@dataclass(frozen=True)
class Acting:
    """A person acting now: their registry entry, key folder, and the trust root in force."""

    operator: RegistryOperator
    registry_version: int
    key_dir: Path
    # The trust root in force (None in tests that build a registry by hand): the
    # command publishes a checkpoint to its witness when it ends.
    trust: TrustRoot | None = None

    @property
    def name(self) -> str:
        return self.operator.name

    @property
    def roles(self) -> tuple[str, ...]:
        return self.operator.roles

    def sign(self, session: Session, action: str, subject: str, data: dict[str, Any]) -> dict:
        """Given what this person does, append their signed audit entry; return the block."""
        from sop_runner.trust.trail import sign_and_append

        return sign_and_append(
            session,
            self.trust,
            self.key_dir,
            self.operator,
            self.registry_version,
            action,
            subject,
            data,
        )
