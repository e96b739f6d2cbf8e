"""The software register's changes: add, update, remove (never delete), with history.

Every change writes a history row and one audit entry through ``sign``: a person's
change (`sop software …`) is signed with their key (``Acting.sign``); a run's change
(SOP 1.3 step 7) is appended in the name of the run's operator, whose run is signed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.software.models import SoftwareChange, SoftwareEntry

# (session, action, subject, data) -> the audit block: Acting.sign, or an unsigned append.
Sign = Callable[[Session, str, str, dict[str, Any]], Any]

# What a person may set, and what each must look like.
EDITABLE = ("name", "version", "host", "owner", "licence", "notes")
_TEXT = re.compile(r"[^\x00-\x1f\x7f{}]{1,128}")


def _checked(values: dict[str, Any]) -> dict[str, Any]:
    """Given the values of an entry, return them. Raise SopError naming a wrong one."""
    for key in ("name", "version", "host"):
        if key in values and not _TEXT.fullmatch(str(values[key])):
            raise SopError(
                _(
                    "--{option}: {value!r} is not allowed; give 1–128 characters "
                    "without control characters or braces"
                ).format(option=key, value=values[key])
            )
    for key in ("owner", "licence", "installed_by"):
        if key in values and values[key] and not _TEXT.fullmatch(str(values[key])):
            raise SopError(
                _("--{option}: {value!r} is not allowed; at most 128 characters").format(
                    option=key, value=values[key]
                )
            )
    return values


def _plain(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v.isoformat() if isinstance(v, date) else v for k, v in values.items()}


def get_entry(session: Session, entry_id: int) -> SoftwareEntry:
    """Given an entry number, return it. Raise SopError if the register has no such entry."""
    entry = session.get(SoftwareEntry, entry_id)
    if entry is None:
        raise SopError(
            _("software: no entry {entry} in the register (`sop software list`)").format(
                entry=entry_id
            )
        )
    return entry


def entries(
    session: Session, host: str | None = None, removed: bool = False
) -> list[SoftwareEntry]:
    """Given a host (or None) and whether removed entries count, return the register rows."""
    query = select(SoftwareEntry).order_by(SoftwareEntry.host, SoftwareEntry.name, SoftwareEntry.id)
    if host:
        query = query.where(SoftwareEntry.host == host)
    if not removed:
        query = query.where(SoftwareEntry.status == "active")
    return list(session.scalars(query).all())


def history(session: Session, entry_id: int) -> list[SoftwareChange]:
    """Given an entry number, return its changes, oldest first."""
    get_entry(session, entry_id)
    return list(
        session.scalars(
            select(SoftwareChange)
            .where(SoftwareChange.entry_id == entry_id)
            .order_by(SoftwareChange.id)
        ).all()
    )


def _record(
    session: Session,
    entry: SoftwareEntry,
    action: str,
    by: str,
    values: dict[str, Any],
    sign: Sign,
    run_id: int | None,
    note: str,
) -> None:
    plain = _plain(values)
    session.add(
        SoftwareChange(
            entry_id=entry.id,
            action=action,
            changed_at=datetime.now(UTC),
            changed_by=by,
            run_id=run_id,
            values=plain,
            note=note,
        )
    )
    sign(session, f"software.{action}", f"software/{entry.id}", {**plain, "note": note})


def add_entry(
    session: Session,
    values: dict[str, Any],
    by: str,
    sign: Sign,
    run_id: int | None = None,
) -> SoftwareEntry:
    """Given a new entry's values (name, version, host, owner, licence, installed_by,
    installed_on, source_code_handed_over, vendor_remote, notes, request_id), add it; return
    the row.  Raise SopError naming a value that is not allowed.
    """
    values = _checked({"installed_by": by, "installed_on": date.today(), **values})
    entry = SoftwareEntry(**values, status="active")
    session.add(entry)
    session.flush()
    _record(session, entry, "added", by, values, sign, run_id, "")
    return entry


def update_entry(
    session: Session, entry_id: int, changes: dict[str, Any], by: str, sign: Sign, note: str = ""
) -> SoftwareEntry:
    """Given an entry and changed values, apply them; return the row.

    Raise SopError if the entry is unknown or removed, nothing changes, or a value is wrong.
    """
    entry = get_entry(session, entry_id)
    if entry.status != "active":
        raise SopError(
            _("software: entry {entry} was removed; add the software again").format(entry=entry_id)
        )
    changed = {k: v for k, v in _checked(changes).items() if getattr(entry, k) != v}
    if not changed:
        raise SopError(_("software: nothing to change; give --version, --owner, … with new values"))
    for key, value in changed.items():
        setattr(entry, key, value)
    _record(session, entry, "updated", by, changed, sign, None, note)
    return entry


def remove_entry(session: Session, entry_id: int, by: str, sign: Sign, note: str) -> SoftwareEntry:
    """Given an entry and why, mark it removed (kept, with its history); return the row.

    Raise SopError if it is unknown, already removed, or no reason is given.
    """
    if not note.strip():
        raise SopError(_("--reason: empty; say why the software leaves the register"))
    entry = get_entry(session, entry_id)
    if entry.status != "active":
        raise SopError(_("software: entry {entry} is already removed").format(entry=entry_id))
    entry.status = "removed"
    _record(session, entry, "removed", by, {"status": "removed"}, sign, None, note)
    return entry


def record_installed(
    session: Session, values: dict[str, Any], by: str, sign: Sign, run_id: int
) -> SoftwareEntry:
    """Given what a run installed on a host, add it to the register, or update the version of
    the same software already there; return the row."""
    same = session.scalars(
        select(SoftwareEntry).where(
            SoftwareEntry.name == values["name"],
            SoftwareEntry.host == values["host"],
            SoftwareEntry.status == "active",
        )
    ).first()
    if same is None:
        return add_entry(session, values, by, sign, run_id)
    changed = {k: v for k, v in values.items() if getattr(same, k) != v}
    for key, value in changed.items():
        setattr(same, key, value)
    _record(session, same, "updated", by, changed, sign, run_id, "instalasi ulang")
    return same
