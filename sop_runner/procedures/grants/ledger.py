"""The one writer of the SOP 2.4 records: grants, their events and the remote account log.

Every change of a grant's state goes through a function here, whoever asks for
it: the service (a grant asked for, a grant that failed or never reached the
firewall), the recorder of the grant playbook (what the firewall took, for
`sop grant` and `sop run` alike), reconciliation, and the settling of grants the
firewall closed by itself.  Each writes its event and audit entry with the change.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.procedures.grants.models import (
    LIVE,
    FirewallGrant,
    GrantChange,
    GrantEvent,
    RemoteAccessLogEntry,
)
from sop_runner.procedures.grants.policy import unreached_text


def now() -> datetime:
    """Return the current time, aware UTC."""
    return datetime.now(UTC)


def event(
    session: Session, grant: FirewallGrant | None, name: str, actor: str, detail: dict[str, Any]
) -> None:
    """Given a grant (or None for a firewall's anomaly), record what happened and audit it."""
    session.add(
        GrantEvent(
            grant_id=grant.id if grant else None, at=now(), event=name, actor=actor, detail=detail
        )
    )
    subject = f"grant/{grant.id}" if grant else "grant/-"
    audit.append(session, actor, f"grant.{name}", subject, detail)


def summary(grant: FirewallGrant) -> dict[str, Any]:
    """Given a grant, return what its events say of it."""
    return {
        "user": grant.user,
        "source": grant.source,
        "target": grant.target,
        "destination": grant.destination,
        "port": grant.port,
        "protocol": grant.protocol,
        "firewall": grant.firewall,
        "starts_at": grant.starts_at.isoformat(timespec="seconds"),
        "ends_at": grant.ends_at.isoformat(timespec="seconds"),
    }


def new_grant(session: Session, **fields: Any) -> FirewallGrant:
    """Given a grant's columns, store it (no event: the caller says why it exists)."""
    grant = FirewallGrant(extensions=0, **fields)
    session.add(grant)
    session.flush()
    return grant


def requested(
    session: Session, grant: FirewallGrant, request_id: int, action: str, detail: dict[str, Any]
) -> None:
    """Given a grant and the 2.4 request made to change it on the firewall, link them.

    An opening marks the grant as opening under that request.
    """
    session.add(GrantChange(request_id=request_id, grant_id=grant.id, action=action, detail=detail))
    if action == "open":
        grant.request_id = request_id
        grant.status = "opening"


def changes_of(session: Session, request_id: int) -> list[tuple[GrantChange, FirewallGrant]]:
    """Given a request, return the grant changes it was made for (none: `sop request`)."""
    rows = session.scalars(
        select(GrantChange).where(GrantChange.request_id == request_id).order_by(GrantChange.id)
    ).all()
    out = []
    for change in rows:
        grant = session.get(FirewallGrant, change.grant_id)
        if grant is not None:
            out.append((change, grant))
    return out


def log_entry(session: Session, grant: FirewallGrant) -> RemoteAccessLogEntry:
    """Given an opened grant, return its line of the remote account log (made if missing)."""
    entry = session.get(RemoteAccessLogEntry, grant.log_entry_id) if grant.log_entry_id else None
    if entry is None:
        entry = RemoteAccessLogEntry(
            user=grant.user,
            source=grant.source,
            host=grant.target,
            port=grant.port,
            protocol=grant.protocol,
            opened_at=grant.opened_at or grant.starts_at,
            ends_at=grant.ends_at,
            petugas=grant.petugas,
            reason=grant.reason,
        )
        session.add(entry)
        session.flush()
        grant.log_entry_id = entry.id
    return entry


def opened(
    session: Session,
    grant: FirewallGrant,
    actor: str,
    detail: dict[str, Any],
    at: datetime | None = None,
) -> None:
    """Given a grant now on the firewall, record it open (from ``at``, default now)."""
    grant.status = "open"
    grant.opened_at = at or now()
    log_entry(session, grant)
    event(session, grant, "opened", actor, {**summary(grant), **detail})


def extended(
    session: Session, grant: FirewallGrant, new_end: datetime, actor: str, detail: dict[str, Any]
) -> None:
    """Given a grant and its new end, record the extension (and the log's agreed end)."""
    grant.ends_at = new_end
    grant.extensions += 1
    if grant.log_entry_id:
        entry = session.get(RemoteAccessLogEntry, grant.log_entry_id)
        if entry is not None:
            entry.ends_at = new_end
    event(session, grant, "extended", actor, detail)


def close(
    session: Session,
    grant: FirewallGrant,
    at: datetime,
    how: str,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Given a grant, record it closed at ``at`` by ``how`` (expiry, revoke, reconcile)."""
    grant.status = "closed"
    grant.closed_at = at
    grant.closed_by = how
    if grant.opened_at is not None:
        entry = log_entry(session, grant)
        entry.closed_at = at
        entry.closed_by = how
        entry.ends_at = grant.ends_at
    event(
        session,
        grant,
        "closed",
        actor,
        {"closed_by": how, "at": at.isoformat(timespec="seconds"), **(detail or {})},
    )


def unreached(session: Session, grant: FirewallGrant, why: dict[str, Any], actor: str) -> None:
    """Given a grant that never reached the firewall before its end and why (a reason of
    policy.UNREACHED), record it as failed: the reason's key and values, translated when
    shown, and its English text (data, the same in every language)."""
    grant.status = "failed"
    error = unreached_text(why, "en")
    event(session, grant, "failed", actor, {"action": "open", "error": error, "why": why})


def refused(
    session: Session, grant: FirewallGrant, action: str, error: str, actor: str, request_id: int
) -> None:
    """Given a change the firewall did not take, record the failure.

    A grant that was being opened is failed; an open grant whose extension or
    revocation failed stays as it was (the firewall still holds it so).
    """
    if action == "open":
        grant.status = "failed"
    event(
        session, grant, "failed", actor, {"action": action, "error": error, "request": request_id}
    )


def settle_expired(session: Session, at: datetime | None = None) -> int:
    """Given the store, record as closed by expiry every active grant whose end is past.

    The firewall closed them by itself at their end; this writes it down.  A
    scheduled grant whose end is past was never opened: it is recorded as failed.
    Return how many were settled.
    """
    at = at or now()
    count = 0
    query = select(FirewallGrant).where(FirewallGrant.status.in_(LIVE))
    for grant in session.scalars(query).all():
        if grant.ends_at <= at and grant.status == "scheduled":
            unreached(session, grant, {"key": "unopened"}, "sop")
        elif grant.ends_at <= at:
            if grant.opened_at is None:
                # The sop process ended before it could record the opening.
                grant.opened_at = grant.starts_at
            close(session, grant, grant.ends_at, "expiry", "sop")
            count += 1
    return count
