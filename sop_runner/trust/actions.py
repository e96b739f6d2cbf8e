"""Signed actions ("paraf digital"): every action a person takes carries their signature.

A request, an approval, a rejection, a confirmation, a run start or resume, an
entry in a register, log book or control card: each is an ed25519 signature by
the person's own key over the canonical JSON of ``{action, subject, data,
signer, fingerprint, time, audit_head, registry_version}``.  The audit head
ties it to the trail it follows; the registry version says which registry was
in force, so a later revocation is judged against the right version.  The
paraf on the document's cards is this signature.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sop_runner import keys
from sop_runner.audit import canonical
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.trust import raw_public_key
from sop_runner.trust.registry import Registry, RegistryOperator

FIELDS = (
    "action",
    "subject",
    "data",
    "signer",
    "fingerprint",
    "time",
    "audit_head",
    "registry_version",
)
HEAD_PATTERN = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class SignedAction:
    """An action with its payload as signed and the hex ed25519 signature over it."""

    payload: dict[str, Any]
    signature: str

    @property
    def text(self) -> str:
        """Return the canonical JSON text that was signed."""
        return canonical(self.payload)

    @property
    def signer(self) -> str:
        return str(self.payload.get("signer"))

    @property
    def registry_version(self) -> int:
        return int(self.payload.get("registry_version", 0))

    def as_dict(self) -> dict[str, Any]:
        """Return the signed action as JSON-able data (to store beside the row it signs)."""
        return {"payload": self.payload, "signature": self.signature}

    @classmethod
    def from_dict(cls, data: Any) -> SignedAction:
        """Given stored data, return the signed action. Raise SopError if its shape is wrong."""
        if (
            not isinstance(data, dict)
            or not isinstance(data.get("payload"), dict)
            or not isinstance(data.get("signature"), str)
        ):
            raise SopError(_("signed action: expected a payload object and a hex signature"))
        return cls(data["payload"], data["signature"])


def sign_action(
    key_dir: Path,
    operator: RegistryOperator,
    action: str,
    subject: str,
    data: dict[str, Any],
    audit_head: str,
    registry_version: int,
    now: datetime,
) -> SignedAction:
    """Given the signer's key dir and registry entry and what they do, return the signed action.

    Only the operator's own private key signs: raise SopError if it is
    missing, readable by others, or not the key the registry holds for them;
    or if the audit head is not a SHA-256 hex or the time has no timezone.
    """
    if not HEAD_PATTERN.fullmatch(audit_head):
        raise SopError(
            _("audit head: {head!r} is not a SHA-256 hex digest").format(head=audit_head)
        )
    if now.tzinfo is None:
        raise SopError(_("time: a timezone-aware time is required"))
    private_key = keys.load_key(key_dir, operator.name)
    public = keys.public_key_b64(private_key)
    if raw_public_key(public) != raw_public_key(operator.public_key):
        raise SopError(
            _(
                "key of {name!r} at {path}: not the key registry version {version} holds "
                "for {name!r} ({fingerprint}); only {name!r}'s own key signs as them"
            ).format(
                name=operator.name,
                path=keys.key_path(key_dir, operator.name),
                version=registry_version,
                fingerprint=operator.short_fingerprint,
            )
        )
    # Through JSON once, so the stored payload is exactly what was signed.
    payload = json.loads(
        canonical(
            {
                "action": action,
                "subject": subject,
                "data": data,
                "signer": operator.name,
                "fingerprint": operator.fingerprint,
                "time": now.astimezone(UTC).isoformat(timespec="microseconds"),
                "audit_head": audit_head,
                "registry_version": registry_version,
            }
        )
    )
    return SignedAction(payload, private_key.sign(canonical(payload).encode()).hex())


def _registry_at(registries: Registry | Sequence[Registry], version: Any) -> Registry | None:
    found = [registries] if isinstance(registries, Registry) else list(registries)
    return next((r for r in found if r.version == version), None)


def verify_action(signed: SignedAction, registries: Registry | Sequence[Registry]) -> list[str]:
    """Given a signed action and the registry (or its history), return the problems (none: valid).

    The signature is checked against the signer's key in the registry version
    recorded in the action (so pass the history to check old actions); whether
    the signer still holds a role now is the caller's question.
    """
    payload = signed.payload
    missing = [f for f in FIELDS if f not in payload]
    extra = sorted(set(payload) - set(FIELDS))
    if missing or extra:
        said = (
            _("signed action: fields {fields} missing; expected {expected}")
            if missing
            else _("signed action: fields {fields} not allowed; expected {expected}")
        )
        return [said.format(fields=", ".join(missing or extra), expected=", ".join(FIELDS))]
    version = payload["registry_version"]
    registry = _registry_at(registries, version)
    if registry is None:
        return [
            _(
                "signed under registry version {version!r}, which is not in the registry given"
            ).format(version=version)
        ]
    signer = registry.get(str(payload["signer"]))
    if signer is None:
        return [
            _("signer {signer!r} is not an operator of registry version {version}").format(
                signer=payload["signer"], version=version
            )
        ]
    problems: list[str] = []
    if payload["fingerprint"] != signer.fingerprint:
        problems.append(
            _(
                "fingerprint {fingerprint!r} is not the key of {name!r} "
                "in registry version {version} ({expected})"
            ).format(
                fingerprint=payload["fingerprint"],
                name=signer.name,
                version=version,
                expected=signer.fingerprint,
            )
        )
    if not signer.verify(signed.signature, signed.text):
        problems.append(
            _(
                "signature of {name!r} does not verify: the action was changed after it "
                "was signed, or {name!r}'s key did not sign it"
            ).format(name=signer.name)
        )
    return problems
