"""The register of information security incidents (SOP 6.2 step 4) and its one writer.

An incident is opened with its kind, host, severity, summary and evidence (audit
entry ``incident.opened``) and the incident response team is notified at once
through the product's notifier (kind ``monitoring.incident``).  A person closes it
with a note of what was done: a signed action (``incident.closed``) whose signature
block the row keeps.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.monitoring.models import Incident

if TYPE_CHECKING:
    from sop_runner.context import Context

NOTICE_KIND = "monitoring.incident"
SEVERITIES = ("warning", "critical")


def as_dict(row: Incident) -> dict[str, Any]:
    """Given an incident, return it as `sop monitoring incidents --json` shows it."""
    return {
        "id": row.id,
        "kind": row.kind,
        "host": row.host,
        "severity": row.severity,
        "summary": row.summary,
        "evidence": row.evidence,
        "status": row.status,
        "opened_at": row.opened_at.isoformat(timespec="seconds"),
        "opened_by": row.opened_by,
        "closed_at": row.closed_at.isoformat(timespec="seconds") if row.closed_at else None,
        "closed_by": row.closed_by,
        "close_note": row.close_note,
        "run_id": row.run_id,
    }


def open_incident(
    session: Session,
    actor: str,
    kind: str,
    host: str,
    severity: str,
    summary: str,
    evidence: dict[str, Any],
    run_id: int | None = None,
) -> Incident | None:
    """Given what was found, open an incident and audit it; return it.

    None if the same finding (kind, host, summary) is already open: a scan repeated
    before the team acted adds no second incident.
    """
    if severity not in SEVERITIES:
        raise SopError(
            _("severity: {severity!r} is not allowed; use {allowed}").format(
                severity=severity, allowed=", ".join(SEVERITIES)
            )
        )
    already = session.scalar(
        select(Incident.id).where(
            Incident.kind == kind,
            Incident.host == host,
            Incident.summary == summary,
            Incident.status == "open",
        )
    )
    if already is not None:
        return None
    row = Incident(
        run_id=run_id,
        kind=kind,
        host=host,
        severity=severity,
        summary=summary,
        evidence=evidence,
        status="open",
        opened_at=datetime.now(UTC),
        opened_by=actor,
    )
    session.add(row)
    session.flush()
    audit.append(
        session,
        actor,
        "incident.opened",
        f"incident/{row.id}",
        {"kind": kind, "host": host, "severity": severity, "summary": summary},
    )
    return row


def notify(context: Context, rows: list[dict[str, Any]]) -> None:
    """Given incidents just opened (as dicts), send one notice each to the response team."""
    from sop_runner.notify import Notice, send

    for row in rows:
        send(
            context,
            Notice(
                NOTICE_KIND,
                f"Insiden keamanan #{row['id']} di {row['host']}: {row['summary']}",
                f"SOP 6.2 langkah 4: {row['summary']}.\n"
                f"Perangkat: {row['host']}\nTingkat: {row['severity']}\n"
                f"Bukti: {row['evidence']}\n"
                f"Tutup dengan: sop monitoring incident-close {row['id']} --note …",
                "critical" if row["severity"] == "critical" else "warning",
            ),
        )


def close_incident(ctx: Context, incident_id: int, note: str, as_: str | None) -> dict[str, Any]:
    """Given an open incident and what was done, close it as a signed action; return it.

    Raise SopError if it does not exist, is closed already or the note is empty.
    """
    if not note.strip():
        raise SopError(_("--note: empty; say what was done about the incident"))
    acting = ctx.actor(as_)
    with ctx.session() as session:
        row = session.get(Incident, incident_id)
        if row is None:
            raise SopError(_("incident: {id} does not exist").format(id=incident_id))
        if row.status != "open":
            raise SopError(
                _("incident: {id} is {status} already").format(id=incident_id, status=row.status)
            )
        now = datetime.now(UTC)
        row.closed_signed = acting.sign(
            session,
            "incident.closed",
            f"incident/{row.id}",
            {"note": note, "kind": row.kind, "host": row.host, "summary": row.summary},
        )
        row.status, row.closed_at, row.closed_by, row.close_note = "closed", now, acting.name, note
        session.flush()
        return as_dict(row)


def listing(ctx: Context, status: str | None = None) -> list[dict[str, Any]]:
    """Given a status (open, closed) or None, return the incidents of the register."""
    if status not in (None, "open", "closed"):
        raise SopError(
            _("--status: {status!r} is not allowed; use open or closed").format(status=status)
        )
    with ctx.session() as session:
        query = select(Incident).order_by(Incident.id)
        if status:
            query = query.where(Incident.status == status)
        return [as_dict(row) for row in session.scalars(query)]
