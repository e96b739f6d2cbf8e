"""What other features may ask of SOP 2.4 (they call these, never read its tables)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.procedures.grants.models import RemoteAccessLogEntry


def open_grants_on(session: Session, host: str) -> list[dict[str, Any]]:
    """Given a host, return the remote access grants still open to it.

    Each is {"user", "port", "ends_at" (ISO text)}, from the remote account log
    (an entry not yet closed), oldest first.
    """
    entries = session.scalars(
        select(RemoteAccessLogEntry)
        .where(RemoteAccessLogEntry.host == host, RemoteAccessLogEntry.closed_at.is_(None))
        .order_by(RemoteAccessLogEntry.id)
    ).all()
    return [{"user": e.user, "port": e.port, "ends_at": e.ends_at.isoformat()} for e in entries]
