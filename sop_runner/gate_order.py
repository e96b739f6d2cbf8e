"""Gates that come after the steps they decide on (catalog ``gate.after``, issue 16).

SOP 4.2: the penanggung jawab's order at step 1 covers the analysis; the Pimpinan
decides on the upgrade itself once the analysis (steps 2–4) is done and recorded.
Such a gate's approval is refused before those steps are recorded done, an approval
signed before they were does not count, and the approver is shown what they found.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sop_runner.catalog import Procedure
from sop_runner.store_reads import StoreReader, steps_of

# The ORM where it is used: `sop status` reads the steps with a StoreReader.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sop_runner.store.models import StepRecord

    Reads = Session | StoreReader


def recorded(session: Reads, request_id: int, steps: tuple[int, ...]) -> dict[int, StepRecord]:
    """Given a request and step numbers, return the latest record of each of those steps
    that is done in the request's runs (a step without one is missing)."""
    if not steps:
        return {}
    rows = steps_of(session, request_id, steps)
    latest: dict[int, StepRecord] = {}
    for row in rows:
        latest[row.step_number] = row  # a step done again later replaces its first result
    return {n: r for n, r in latest.items() if r.status == "done"}


def missing(session: Reads, request_id: int, steps: tuple[int, ...]) -> list[int]:
    """Given a request and the steps a gate decides on, return those not yet done."""
    done = recorded(session, request_id, steps)
    return [n for n in steps if n not in done]


def settled_at(session: Reads, request_id: int, steps: tuple[int, ...]) -> datetime | None:
    """Given a request and the steps a gate decides on, return when the last of them
    was done (None while one is missing): an approval signed before it does not count."""
    done = recorded(session, request_id, steps)
    if len(done) < len(steps):
        return None
    times = [r.ended_at or r.started_at for r in done.values()]
    return max(t if t.tzinfo else t.replace(tzinfo=UTC) for t in times)


def numbers(steps: tuple[int, ...] | list[int]) -> str:
    """Given step numbers, return them as people read them ("2, 3, 4")."""
    return ", ".join(str(n) for n in steps)


def results(
    session: Reads, request_id: int, procedure: Procedure, steps: tuple[int, ...], lang: str
) -> list[dict[str, Any]]:
    """Given a request and the steps a gate decides on, return what each found, for the
    approver: who did it and when, the branch taken (the analysis' verdict) and the note."""
    done = recorded(session, request_id, steps)
    shown = []
    for number in steps:
        step = procedure.step(number)
        row = done.get(number)
        entry: dict[str, Any] = {
            "step": number,
            "activity": step.activity.get(lang),
            "status": row.status if row else "pending",
        }
        if row is not None:
            key = (row.data or {}).get("choice")
            choice = step.choice(key) if key else None
            entry |= {
                "by": row.confirmed_by,
                "at": (row.ended_at or row.started_at).isoformat(timespec="seconds"),
                "choice": choice.text.get(lang) if choice else None,
                "note": row.note or None,
            }
        shown.append(entry)
    return shown


def recorded_ids(session: Session, request_id: int, steps: tuple[int, ...]) -> dict[str, int]:
    """Given a request and the steps a gate decides on, return the ids of their records
    (keyed by step number as text, for an audit entry's JSON)."""
    return {str(n): r.id for n, r in sorted(recorded(session, request_id, steps).items())}
