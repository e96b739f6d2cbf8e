"""Remote users with real accounts (SOP 2.4): a certificate for the user's own key, revoked
early with a KRL on the target, and the sessions it opened read back from the target.

`sop grant open … --vendor-key FILE` names the key's fingerprint and the account on the
target in the grant's 2.4 request (signed by the petugas); once the port is open the
issuer certifies that key for that request (principal ``ACCOUNT@TARGET``, until the
grant's end, ``source-address`` the user's address; sop_runner/issuer/vendor.py) and the
certificate is written next to the key.  `extend` has a new one issued for the new end.
`revoke` (and `sop grant sessions`) runs remote_access_account.yml on the target through
a 2.4 request of its own: the KRL revokes the grant's certificates still valid, and the
sessions of their key ids are read from the target's sshd log into the records.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import execution, keys
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer.ask import Ask, now_text
from sop_runner.issuer.certs import VENDOR_KEY_TYPES, public_key_of
from sop_runner.issuer.client import ask_issuer
from sop_runner.issuer.vendor import ACCOUNT, key_fingerprint
from sop_runner.procedures.grants import ledger
from sop_runner.procedures.grants.models import (
    FirewallGrant,
    GrantCertificate,
    GrantSession,
    GrantVendorKey,
)
from sop_runner.procedures.grants.policy import GRANT_STEP, PROCEDURE, grant_params
from sop_runner.requests import new_request

DEFAULT_ACCOUNT = "vendor"


def read_vendor_key(path: Path, account: str) -> tuple[str, str]:
    """Given the remote user's public key file and the account, return (key line, fingerprint).

    Raise SopError naming the option when the file is unreadable or not a key of an
    allowed type, or the account is not an account name.
    """
    if not ACCOUNT.match(account):
        raise SopError(
            _(
                "--account: {account!r} is not allowed; a Unix account name of a-z, 0-9, _ and -"
            ).format(account=account)
        )
    try:
        line = path.read_text(encoding="utf-8").strip().splitlines()[0]
    except (OSError, UnicodeDecodeError, IndexError):
        raise SopError(
            _("--vendor-key: {path}: not a readable OpenSSH public key file").format(path=path)
        ) from None
    try:
        public_key_of(line, VENDOR_KEY_TYPES)
    except SopError as refused:
        raise SopError(_("--vendor-key: {path}: {why}").format(path=path, why=refused)) from None
    key = " ".join(line.split()[:2])  # type and key; the user's comment stays theirs
    return key, key_fingerprint(key)


def certificate_path(path: Path) -> Path:
    """Given the public key file, return where its certificate goes (as ssh-keygen -s does)."""
    stem = path.name.removesuffix(".pub")
    return path.with_name(f"{stem}-cert.pub")


def certificate_path_of(session: Session, grant_id: int) -> str:
    """Given a grant with a vendor key, return where its certificate file is written."""
    vendor = session.get(GrantVendorKey, grant_id)
    return vendor.certificate_path if vendor else ""


def vendor_params(session: Session, grant: FirewallGrant) -> dict[str, Any]:
    """Given a grant, return the request parameters naming its vendor key (none without one)."""
    vendor = session.get(GrantVendorKey, grant.id)
    if vendor is None:
        return {}
    return {"grant_vendor_key": vendor.fingerprint, "grant_account": vendor.account}


def remember_key(session: Session, grant: FirewallGrant, key: str, account: str, out: Path) -> None:
    """Given a grant and the remote user's key, record them (before the request names them)."""
    session.add(
        GrantVendorKey(
            grant_id=grant.id,
            public_key=key,
            fingerprint=key_fingerprint(key),
            account=account,
            certificate_path=str(out),
        )
    )


def certify(ctx: Context, grant_id: int, request_id: int, operator: str) -> GrantCertificate:
    """Given a grant with a vendor key and the 2.4 request that opened or extended it, have
    the issuer certify the key for it; write the certificate file and record it.

    Raise SopError when the trust file names no issuer or the issuer refuses.
    """
    issuer = ctx.settings.trust.issuer
    if issuer is None:
        raise SopError(
            _("--vendor-key: the trust file names no issuer; it alone signs certificates")
        )
    acting = ctx.actor(operator)
    with ctx.session() as session:
        vendor = session.get(GrantVendorKey, grant_id)
        assert vendor is not None
        key, out = vendor.public_key, Path(vendor.certificate_path)
    ask = Ask("vendor", acting.name, key, now_text(), request=request_id)
    signed = ask.signed_with(lambda text: keys.sign(acting.key_dir, acting.name, text))
    reply = ask_issuer(issuer.socket, signed)
    out.write_text(reply["certificate"] + "\n")
    out.chmod(0o644)
    with ctx.session() as session:
        row = GrantCertificate(
            grant_id=grant_id,
            request_id=request_id,
            serial=str(reply["serial"]),
            key_id=reply["key_id"],
            principal=reply["principals"][0],
            valid_before=datetime.fromisoformat(reply["valid_before"]),
            issued_at=ledger.now(),
        )
        session.add(row)
        grant = session.get(FirewallGrant, grant_id)
        detail = {"key_id": row.key_id, "serial": row.serial, "until": reply["valid_before"]}
        ledger.event(session, grant, "certified", acting.name, {**detail, "file": str(out)})
        session.flush()
        session.expunge(row)
    return row


def certificates(ctx: Context, grant_id: int) -> list[GrantCertificate]:
    """Given a grant, return its certificates (detached), oldest first."""
    with ctx.session() as session:
        rows = list(
            session.scalars(
                select(GrantCertificate)
                .where(GrantCertificate.grant_id == grant_id)
                .order_by(GrantCertificate.id)
            ).all()
        )
        session.expunge_all()
        return rows


def account_step(ctx: Context, grant_id: int, operator: str, revoke: bool) -> int:
    """Given a grant with certificates, run remote_access_account.yml on its target: revoke
    (when asked) the certificates still valid, and read the sessions of all of them.

    Return the number of certificates revoked.  Raise SopError (StepFailed) when the step
    fails; nothing is marked revoked then.
    """
    rows = certificates(ctx, grant_id)
    if not rows:
        raise SopError(_("grant {id}: no certificate was issued for it").format(id=grant_id))
    now = datetime.now(UTC)
    live = [r for r in rows if r.revoked_at is None and r.valid_before > now] if revoke else []
    with ctx.session() as session:
        grant = session.get(FirewallGrant, grant_id)
        assert grant is not None
        params = {
            **grant_params(grant, "absent" if revoke else "present", grant.ends_at),
            **vendor_params(session, grant),
            "grant_key_ids": sorted({r.key_id for r in rows}),
            "grant_revoke_serials": [int(r.serial) for r in live],
        }
        target, what = grant.target, "revoke certificates" if revoke else "read sessions"
    request = new_request(ctx, PROCEDURE, [target], params, f"grant {grant_id}: {what}", operator)
    execution.run_step(ctx, request.id, GRANT_STEP, operator)
    if live:
        with ctx.session() as session:
            grant = session.get(FirewallGrant, grant_id)
            for row in live:
                stored = session.get(GrantCertificate, row.id)
                assert stored is not None
                stored.revoked_at = ledger.now()
            serials = [r.serial for r in live]
            ledger.event(session, grant, "keys_revoked", operator, {"serials": serials})
    return len(live)


def record_sessions(session: Session, run_id: int, value: Any) -> int:
    """Given the remote_sessions stats of a run ({host: [session, …]}), record each session
    of a grant's certificate once (by key id, source port and start).  Return the new ones."""
    written = 0
    for host, found in dict(value or {}).items():
        for item in found or []:
            cert = session.scalars(
                select(GrantCertificate).where(GrantCertificate.key_id == item["key_id"])
            ).first()
            if cert is None:
                continue
            opened = _moment(item["opened_at"])
            known = session.scalars(
                select(GrantSession).where(
                    GrantSession.key_id == item["key_id"],
                    GrantSession.port == int(item["port"]),
                    GrantSession.opened_at == opened,
                )
            ).first()
            closed = _moment(item["closed_at"]) if item.get("closed_at") else None
            if known is not None:
                known.closed_at = known.closed_at or closed
                continue
            session.add(
                GrantSession(
                    grant_id=cert.grant_id,
                    key_id=item["key_id"],
                    host=str(host),
                    account=str(item["user"]),
                    source=str(item["source"]),
                    port=int(item["port"]),
                    opened_at=opened,
                    closed_at=closed,
                )
            )
            written += 1
    del run_id
    return written


def _moment(text: str) -> datetime:
    """Given a time from a log (with or without its zone), return it aware (local if none)."""
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.astimezone()


def sessions_of(session: Session, grant_id: int) -> list[GrantSession]:
    """Given a grant, return the sessions its certificates opened, in order."""
    return list(
        session.scalars(
            select(GrantSession)
            .where(GrantSession.grant_id == grant_id)
            .order_by(GrantSession.opened_at)
        ).all()
    )
