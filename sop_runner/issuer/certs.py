"""What a certificate says: principals, lifetime, key id, options (pure; no I/O but signing).

OpenSSH user certificates (PROTOCOL.certkeys) signed with the CA's ed25519 key by
``cryptography``'s builder.  The key id is what the hosts' sshd writes into its log
for every login (``Accepted publickey for root ... ID sop request 5 run 3 step 5
operator budi (serial …)``), so a host's own log names the request behind each change.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import (
    SSHCertificate,
    SSHCertificateBuilder,
    SSHCertificateType,
    SSHPublicKeyTypes,
    load_ssh_public_key,
)

from sop_runner.errors import SopError
from sop_runner.i18n import _

# A certificate is valid from a little before it is signed: the hosts' clocks may lag.
BACKDATE = timedelta(seconds=60)
# Only what an automation session needs; no agent, port or X11 forwarding, no user rc.
STEP_EXTENSIONS = ("permit-pty",)
VENDOR_EXTENSIONS = ("permit-pty",)
# Key types a vendor may bring (OpenSSH public key lines).
VENDOR_KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ssh-rsa")


@dataclass(frozen=True)
class Grant:
    """What one certificate allows: who, where, from where, and until when."""

    key_id: str
    principals: tuple[str, ...]
    valid_after: datetime
    valid_before: datetime
    source_addresses: tuple[str, ...]
    extensions: tuple[str, ...] = STEP_EXTENSIONS

    @property
    def seconds(self) -> int:
        """The lifetime from now (whole seconds, at least 1) an agent should keep the key."""
        left = (self.valid_before - datetime.now(UTC)).total_seconds()
        return max(1, int(left))


def step_key_id(request: int, run: int | None, step: int, operator: str) -> str:
    """Given what a step certificate is for, return its key id (as the hosts will log it)."""
    shown = "-" if run is None else str(run)
    return f"sop request {request} run {shown} step {step} operator {operator}"


def plan_key_id(user: str) -> str:
    """Given the Unix user (root's service), return the key id of a check-mode certificate."""
    return f"sop plan by {user}"


def vendor_key_id(request: int, user: str, principal: str, operator: str) -> str:
    """Given a 2.4 request and its remote user, return the vendor certificate's key id."""
    return f"sop request {request} remote user {user} as {principal} operator {operator}"


def step_lifetime(
    now: datetime,
    standard_seconds: int | None,
    margin: timedelta,
    approval_ends: list[datetime],
) -> datetime:
    """Given now, the step's Mutu Baku (longest, seconds), the margin and the approvals'
    ends, return when the certificate ends.

    Never longer than the Mutu Baku plus the margin (the margin alone when the step has
    no Mutu Baku) and never past the earliest approval end.  Raise SopError when that
    leaves nothing (an approval ends now).
    """
    end = now + timedelta(seconds=standard_seconds or 0) + margin
    if approval_ends:
        end = min(end, *approval_ends)
    if end <= now:
        raise SopError(
            _("an approval this step needs ends at {end}, no time is left").format(
                end=end.isoformat()
            )
        )
    return end


def public_key_of(line: str, allowed: tuple[str, ...] = ("ssh-ed25519",)) -> SSHPublicKeyTypes:
    """Given an OpenSSH public key line, return the key; raise SopError if it is not one of
    the allowed types or malformed."""
    kind = line.split()[0] if line.split() else ""
    if kind not in allowed:
        raise SopError(
            _(
                "public_key: {kind!r} is not allowed; expected an OpenSSH public key of type "
                "{allowed}"
            ).format(kind=kind or _("nothing"), allowed=", ".join(allowed))
        )
    try:
        return load_ssh_public_key(line.encode())
    except (ValueError, TypeError):
        raise SopError(_("public_key: not a valid OpenSSH public key line")) from None


def sign(ca: Ed25519PrivateKey, public_key: SSHPublicKeyTypes, grant: Grant) -> SSHCertificate:
    """Given the CA key, the caller's public key and what is granted, return the certificate.

    The serial is random (63 bits), so a KRL can revoke exactly this certificate.
    """
    builder = (
        SSHCertificateBuilder()
        .public_key(public_key)  # type: ignore[arg-type]
        .serial(secrets.randbits(63))
        .type(SSHCertificateType.USER)
        .key_id(grant.key_id.encode())
        .valid_principals([p.encode() for p in grant.principals])
        .valid_after(int(grant.valid_after.timestamp()))
        .valid_before(int(grant.valid_before.timestamp()))
        .add_critical_option(b"source-address", ",".join(grant.source_addresses).encode())
    )
    for extension in grant.extensions:
        builder = builder.add_extension(extension.encode(), b"")
    return builder.sign(ca)
