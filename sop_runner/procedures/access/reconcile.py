"""The log book against the door's own record: what one shows and the other does not.

Who opens the door is a petugas (face or fingerprint, SOP 2.2 step 2): a petugas
for their own visit, the escort for a vendor's or guest's.  A terminal user
number is a petugas through ``sop access badge``.  Three anomalies go to the
penanggung jawab:

- ``door_without_entry``: the door let someone in while no log book entry of
  theirs was open (an unknown user number counts too);
- ``entry_without_door``: a log book entry whose petugas never opened the door
  around its time in (within the door file's period);
- ``exit_without_checkout``: the door saw someone leave and their entry has no
  check-out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.procedures.access.models import AccessBadge, AccessDoorEvent, AccessEntry

# How far apart the door's clock and the log book's time in may be for one visit.
TOLERANCE = timedelta(minutes=15)
KINDS = ("door_without_entry", "entry_without_door", "exit_without_checkout")


@dataclass(frozen=True)
class Anomaly:
    """What the log book and the door disagree on, when, and about which entry or user."""

    kind: str
    at: datetime
    pin: str | None
    entry_id: int | None
    who: str


def _named(entry: AccessEntry | None, opener: str) -> str:
    """Given an entry (or None) and who opens the door for it, return both names."""
    if entry is None or entry.operator == opener:
        return opener
    return f"{entry.person_name or '-'} / {opener}"


def _openers(entry: AccessEntry) -> set[str]:
    return {name for name in (entry.operator, entry.escort) if name}


def _open_at(entry: AccessEntry, at: datetime) -> bool:
    return entry.time_in - TOLERANCE <= at and (entry.time_out is None or at <= entry.time_out)


def window(
    session: Session, since: datetime | None, until: datetime | None
) -> tuple[datetime, datetime] | None:
    """Given a period (either end may be None), return it completed by the door events' own
    first and last (None when no event was imported)."""
    events = session.scalars(select(AccessDoorEvent.at).order_by(AccessDoorEvent.at)).all()
    if not events:
        return None
    return since or events[0], until or events[-1] + TOLERANCE


def find(ctx: Context, since: datetime | None, until: datetime | None) -> list[Anomaly]:
    """Given a period (default: the door events' own), return the anomalies, by time."""
    with ctx.session() as session:
        span = window(session, since, until)
        if span is None:
            return []
        start, end = span
        badges = {b.pin: b.operator for b in session.scalars(select(AccessBadge)).all()}
        events = session.scalars(
            select(AccessDoorEvent)
            .where(AccessDoorEvent.at >= start, AccessDoorEvent.at < end)
            .order_by(AccessDoorEvent.at, AccessDoorEvent.id)
        ).all()
        entries = session.scalars(
            select(AccessEntry)
            .where(AccessEntry.time_in >= start - TOLERANCE, AccessEntry.time_in < end)
            .order_by(AccessEntry.time_in)
        ).all()
        found = _door_side(events, entries, badges)
        found += _book_side(events, entries, badges, start, end)
    return sorted(found, key=lambda a: (a.at, a.kind))


def _door_side(
    events: list[AccessDoorEvent], entries: list[AccessEntry], badges: dict[str, str]
) -> list[Anomaly]:
    found: list[Anomaly] = []
    unlogged: set[str] = set()  # user numbers whose last entrance had no log book entry
    for event in events:
        who = badges.get(event.pin)
        mine = [e for e in entries if who in _openers(e)] if who else []
        if event.direction == "in":
            if any(_open_at(e, event.at) for e in mine):
                unlogged.discard(event.pin)
                continue
            unlogged.add(event.pin)
            found.append(
                Anomaly("door_without_entry", event.at, event.pin, None, who or f"PIN {event.pin}")
            )
            continue
        if event.pin in unlogged:
            # The way out of an entrance already reported: one visit, one anomaly.
            unlogged.discard(event.pin)
            continue
        began = [e for e in mine if e.time_in <= event.at]
        current = began[-1] if began else None
        if current is None or current.time_out is None:
            found.append(
                Anomaly(
                    "exit_without_checkout",
                    event.at,
                    event.pin,
                    current.id if current else None,
                    _named(current, who or f"PIN {event.pin}"),
                )
            )
    return found


def _book_side(
    events: list[AccessDoorEvent],
    entries: list[AccessEntry],
    badges: dict[str, str],
    start: datetime,
    end: datetime,
) -> list[Anomaly]:
    found = []
    for entry in entries:
        if not start <= entry.time_in < end:
            continue
        openers = _openers(entry)
        seen = any(
            e.direction == "in"
            and badges.get(e.pin) in openers
            and abs(e.at - entry.time_in) <= TOLERANCE
            for e in events
        )
        if not seen:
            found.append(
                Anomaly(
                    "entry_without_door",
                    entry.time_in,
                    None,
                    entry.id,
                    _named(entry, ", ".join(sorted(openers))),
                )
            )
    return found
