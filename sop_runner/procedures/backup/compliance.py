"""Which backups are overdue against the document's minimums (SOP 7.1, 7.2, 7.5).

What must be backed up comes from the inventory (``databases`` and
``backup_paths`` of each host, as Ansible reads them); when it last was, from
the records of good backups and retention passes.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.inventory import Inventory
from sop_runner.procedures.backup.models import BackupRecord, RetentionRecord

# The document's minimums: data at least weekly (7.2), files at least monthly
# (7.1), and the retention check periodically (7.5; yearly here).
MINIMUM_INTERVAL = {
    "database": timedelta(days=7),
    "file": timedelta(days=31),
    "retention": timedelta(days=366),
}
PROCEDURE_OF_KIND = {"file": "7.1", "database": "7.2", "retention": "7.5"}

Source = tuple[str, str, str]  # (kind, host, source)


@dataclass(frozen=True)
class Overdue:
    """One source whose last good backup is older than the document's minimum."""

    kind: str
    host: str
    source: str
    last: datetime | None
    due: datetime | None
    days_late: int | None


def overdue(last_ok: dict[Source, datetime | None], now: datetime) -> list[Overdue]:
    """Given the last good backup per (kind, host, source) and now, return what is overdue.

    A source never backed up (None) is overdue; otherwise it is overdue when
    now is later than its last backup plus the minimum interval of its kind.
    """
    late = []
    for (kind, host, source), last in sorted(last_ok.items()):
        limit = MINIMUM_INTERVAL[kind]
        if last is None:
            late.append(Overdue(kind, host, source, None, None, None))
            continue
        due = last + limit
        if now > due:
            late.append(Overdue(kind, host, source, last, due, (now - due).days))
    return late


def expected_sources(inventory_hosts: dict[str, dict[str, Any]]) -> set[Source]:
    """Given inventory host vars, return the (kind, host, source) that must be backed up.

    A host's ``databases`` (``{engine, name}`` or ``engine/name``) and
    ``backup_paths`` name what the schedule covers.
    """
    wanted: set[Source] = set()
    for host, hostvars in inventory_hosts.items():
        for db in hostvars.get("databases") or []:
            name = f"{db['engine']}/{db['name']}" if isinstance(db, dict) else str(db)
            wanted.add(("database", host, name))
        paths = hostvars.get("backup_paths") or []
        if paths:
            wanted.add(("file", host, ",".join(sorted(str(p) for p in paths))))
    return wanted


def inventory_sources(inventory: Inventory) -> set[Source]:
    """Given the inventory, return what its hosts' variables say must be backed up."""
    return expected_sources({host: inventory.host_vars(host) for host in inventory.hosts})


def last_good(session: Session) -> dict[Source, datetime]:
    """Given the store, return the time of the last good backup per (kind, host, source)."""
    result: dict[Source, datetime] = {}
    for row in session.scalars(select(BackupRecord).where(BackupRecord.status == "ok")):
        key = (row.kind, row.host, row.source)
        if key not in result or row.taken_at > result[key]:
            result[key] = row.taken_at
    for ret in session.scalars(select(RetentionRecord).where(RetentionRecord.status == "ok")):
        key = ("retention", ret.host, ret.repository)
        if key not in result or ret.checked_at > result[key]:
            result[key] = ret.checked_at
    return result


def evaluation_time(text: str | None) -> datetime:
    """Given the --at option (ISO date or date-time; none: now), return it aware.

    A time without a zone is UTC.  Raise SopError if it is not ISO 8601.
    """
    if not text:
        return datetime.now(UTC)
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SopError(
            _("--at: {text!r} is not a date or date-time (ISO 8601)").format(text=text)
        ) from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def overdue_at(ctx: Context, now: datetime) -> list[Overdue]:
    """Given a context and a time, return every source overdue then (recorded or expected)."""
    with ctx.session() as session:
        known: dict[Source, datetime | None] = dict(last_good(session))
    for key in inventory_sources(ctx.inventory):
        known.setdefault(key, None)
    return overdue(known, now)


def as_json(late: list[Overdue]) -> str:
    """Given overdue sources, return them as the JSON list `sop backup overdue --json` prints."""
    return json.dumps(
        [
            {
                "kind": o.kind,
                "procedure": PROCEDURE_OF_KIND[o.kind],
                "host": o.host,
                "source": o.source,
                "last": o.last.isoformat() if o.last else None,
                "due": o.due.isoformat() if o.due else None,
                "days_late": o.days_late,
            }
            for o in late
        ],
        indent=2,
    )


def as_lines(late: list[Overdue]) -> list[str]:
    """Given overdue sources, return one line each ("nothing overdue" when none)."""
    if not late:
        return ["nothing overdue"]
    lines = []
    for o in late:
        last = o.last.strftime("%Y-%m-%d %H:%M") if o.last else "never"
        lines.append(
            f"OVERDUE {o.kind} (SOP {PROCEDURE_OF_KIND[o.kind]}) {o.host} {o.source}: "
            f"last good backup {last}"
            + (f", {o.days_late} day(s) late" if o.days_late is not None else "")
        )
    return lines
