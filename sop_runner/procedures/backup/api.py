"""What other features may ask the backup feature (they never read its tables).

SOP 5.1 (dismantle) asks before a host is taken down whether it keeps the
only copy of some other host's data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.procedures.backup.models import BackupRecord


def repository_on(repository: str, host: str) -> bool:
    """Given a restic repository location, return whether it lives on the host.

    ``sftp:user@host:/path``, ``sftp:host:/path`` and ``scheme://host/…`` (rest,
    s3) name their host; a local path names none.
    """
    return f"@{host}:" in repository or f"//{host}/" in repository or f"sftp:{host}:" in repository


def sole_copies_on(session: Session, host: str) -> list[dict[str, Any]]:
    """Given a host, return the sources whose only good backup copies live on it.

    Each is ``{"source", "repository", "of_host"}`` (the source's own host),
    sorted by host and source: a source backed up to one repository only, and
    that repository on the host.  Failed backups are no copies.
    """
    by_source: dict[tuple[str, str], set[str]] = {}
    for row in session.scalars(select(BackupRecord).where(BackupRecord.status == "ok")):
        by_source.setdefault((row.host, row.source), set()).add(row.repository)
    return [
        {"source": source, "repository": next(iter(repos)), "of_host": of_host}
        for (of_host, source), repos in sorted(by_source.items())
        if len(repos) == 1 and repository_on(next(iter(repos)), host)
    ]
