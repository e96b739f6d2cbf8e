"""What the firewall took, applied to the grant records (set_stats ``firewall_grant``).

remote_access_grant.yml hands back the module's result per firewall.  The
recorder applies it for every 2.4 request, whoever made it: a change asked for
by `sop grant open|extend|revoke` (linked to its grant by a GrantChange row)
lands on that grant; a request made with `sop request 2.4` and carried out by
`sop run` opens a grant of its own, or closes the grants it names.  The
reconciliation's result is applied by ``apply_reconcile`` likewise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.i18n import N_
from sop_runner.procedures.grants import accounts, ledger
from sop_runner.procedures.grants.models import ACTIVE, FirewallGrant, GrantChange, GrantEvent
from sop_runner.procedures.grants.policy import PROCEDURE
from sop_runner.store.models import Request, Run


def record_from_run(session: Session, run_id: int, value: Any) -> int:
    """Given the firewall_grant stats of a run of procedure 2.4, record what changed.

    Return the grants written.
    """
    run = session.get(Run, run_id)
    request = session.get(Request, run.request_id) if run else None
    if request is None or request.procedure_id != PROCEDURE:
        return 0
    firewall = request.targets[0]
    result = dict((value or {}).get(firewall) or {})
    if "grants" in request.params:
        return _reconcile(session, request, firewall, result)
    if "grant_state" not in request.params:
        return 0
    detail = {"request": request.id, "run": run_id}
    changes = ledger.changes_of(session, request.id)
    for change, grant in changes:
        _apply(session, request, change, grant, result, detail)
    if changes:
        return len(changes)
    return _from_request(session, request, result, detail)


def _apply(
    session: Session,
    request: Request,
    change: GrantChange,
    grant: FirewallGrant,
    result: dict[str, Any],
    detail: dict[str, Any],
) -> None:
    """Given a change `sop grant` asked for and the firewall's answer, record it."""
    actor = request.requested_by
    if change.action == "open" and grant.status == "opening":
        ledger.opened(session, grant, actor, {**detail, "firewall_result": result})
    elif change.action == "extend":
        old_end, new_end = grant.ends_at, _end(request)
        moved = {
            "from": old_end.isoformat(timespec="seconds"),
            "to": new_end.isoformat(timespec="seconds"),
        }
        ledger.extended(session, grant, new_end, actor, {**moved, **change.detail, **detail})
    elif change.action == "revoke" and grant.status in ACTIVE:
        ledger.close(session, grant, ledger.now(), "revoke", actor, {**change.detail, **detail})


def _end(request: Request) -> datetime:
    # As given (not truncated): the module rounds its timeout up from this very end.
    return datetime.fromtimestamp(float(request.params["grant_ends_at"]), UTC)


def _from_request(
    session: Session, request: Request, result: dict[str, Any], detail: dict[str, Any]
) -> int:
    """Given a 2.4 request `sop request` made (no grant of sop's yet), record its grant."""
    params = request.params
    if params["grant_state"] == "absent":
        rows = session.scalars(
            select(FirewallGrant).where(
                FirewallGrant.status.in_(ACTIVE),
                FirewallGrant.source == params["grant_source"],
                FirewallGrant.target == params["grant_target"],
                FirewallGrant.port == int(params["grant_port"]),
            )
        ).all()
        for grant in rows:
            ledger.close(session, grant, ledger.now(), "revoke", request.requested_by, detail)
        return len(rows)
    if session.scalars(select(FirewallGrant).where(FirewallGrant.request_id == request.id)).first():
        return 0
    destination = ""
    for item in result.get("grants", []):
        if int(item.get("port", 0)) == int(params["grant_port"]):
            destination = str(item.get("destination", ""))
    now = ledger.now()
    grant = ledger.new_grant(
        session,
        request_id=request.id,
        user=str(params["grant_user"]),
        source=str(params["grant_source"]),
        target=str(params["grant_target"]),
        destination=destination,
        port=int(params["grant_port"]),
        protocol=str(params["grant_protocol"]),
        firewall=request.targets[0],
        backend="",
        reason=request.reason,
        petugas=request.requested_by,
        status="opening",
        created_at=now,
        starts_at=now,
        ends_at=_end(request),
    )
    ledger.opened(session, grant, request.requested_by, detail, at=now)
    return 1


# What an anomaly was, as recorded (English, the same data in every language); translated
# when shown (grants/cli.py anomaly_line, the account log document).
REMOVED = N_("on the firewall but not in the records (or ended); closed")
UPDATED = N_("end on the firewall differs from the records; reset")
RESTORED = N_("recorded as open but missing on the firewall; restored")
ANOMALIES = (REMOVED, UPDATED, RESTORED)

RECORDERS = {"firewall_grant": record_from_run, "remote_sessions": accounts.record_sessions}


# --------------------------------------------------------------------------- reconcile


@dataclass
class ReconcileOutcome:
    firewall: str
    anomalies: list[dict[str, Any]]
    restored: list[dict[str, Any]]
    opened: list[int]
    settled: int


def _reconcile(session: Session, request: Request, firewall: str, found: dict[str, Any]) -> int:
    """Given a reconciliation request and what its playbook found, record it; return count."""
    actor = request.requested_by
    anomalies, restored, opened = apply_reconcile(session, firewall, request.id, found, actor)
    audit.append(
        session,
        actor,
        "grant.reconciled",
        f"firewall/{firewall}",
        {
            "request": request.id,
            "anomalies": len(anomalies),
            "restored": len(restored),
            "opened": opened,
        },
    )
    return len(anomalies) + len(restored) + len(opened)


def reconciled(
    session: Session, request_id: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    """Given a carried-out reconciliation request, return its anomalies, restored, opened."""
    events = session.scalars(select(GrantEvent).order_by(GrantEvent.id)).all()
    mine = [e for e in events if (e.detail or {}).get("request") == request_id]
    anomalies = [
        e.detail for e in mine if e.event == "anomaly" and e.detail.get("kind") != "restored"
    ]
    restored = [
        e.detail for e in mine if e.event == "anomaly" and e.detail.get("kind") == "restored"
    ]
    opened = [
        e.grant_id
        for e in mine
        if e.event == "opened" and e.grant_id is not None and e.detail.get("by") == "schedule"
    ]
    return anomalies, restored, opened


def apply_reconcile(
    session: Session, firewall: str, request_id: int, found: dict[str, Any], actor: str
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[int]]:
    """Given what remote_access_reconcile.yml found and did on a firewall, record it.

    Return the anomalies (closed or reset on the firewall), the grants restored,
    and the scheduled grants opened (those the request's GrantChange rows name).
    """
    active = session.scalars(
        select(FirewallGrant)
        .where(FirewallGrant.firewall == firewall, FirewallGrant.status.in_(ACTIVE))
        .order_by(FirewallGrant.id)
    ).all()
    by_key = {(g.source, g.destination, g.port): g.id for g in active}
    opened = [g.id for c, g in ledger.changes_of(session, request_id) if c.action == "open"]
    base = {"firewall": firewall, "request": request_id}

    def grant_of(item: dict[str, Any]) -> FirewallGrant | None:
        gid = by_key.get((item["source"], item["destination"], item["port"]))
        return session.get(FirewallGrant, gid) if gid else None

    anomalies = []
    for item in found.get("removed", []):
        detail = {**base, **item, "what": REMOVED}
        ledger.event(session, None, "anomaly", actor, detail)
        anomalies.append(detail)
    for item in found.get("updated", []):
        detail = {**base, **item, "what": UPDATED}
        ledger.event(session, grant_of(item), "anomaly", actor, detail)
        anomalies.append(detail)
    for item in found.get("ended", []):
        # The module found its end had come when it ran: it never reached the firewall.
        grant = grant_of(item)
        if grant is not None and grant.id in opened:
            ledger.unreached(session, grant, {"key": "ended"}, actor)
            opened.remove(grant.id)
    restored = []
    for item in found.get("added", []):
        grant = grant_of(item)
        if grant is not None and grant.id in opened:
            ledger.opened(session, grant, actor, {"request": request_id, "by": "schedule"})
        else:
            detail = {**base, **item, "what": RESTORED, "kind": "restored"}
            ledger.event(session, grant, "anomaly", actor, detail)
            restored.append(detail)
    for gid in opened:
        grant = session.get(FirewallGrant, gid)
        if grant is not None and grant.status == "opening":
            # Already on the firewall (put there by hand with the right end).
            ledger.opened(session, grant, actor, {"request": request_id, "by": "schedule"})
    for grant in session.scalars(
        select(FirewallGrant).where(
            FirewallGrant.firewall == firewall, FirewallGrant.status == "opening"
        )
    ).all():
        # Open on the firewall although the process that opened it died early.
        since = grant.opened_at or grant.starts_at
        ledger.opened(session, grant, actor, {"request": request_id, "by": "reconcile"}, at=since)
    return anomalies, restored, opened
