"""SOP 2.4 reconciliation: make each firewall hold exactly the recorded active grants.

Grants on a firewall that the records do not hold (or hold as ended) are closed
and reported as anomalies; active recorded grants missing from the firewall are
put back; scheduled grants whose start has come are opened.

The reconciliation is not yet carried out like the other changes.  Its playbook
(remote_access_reconcile.yml) takes the whole ``grants`` list, the alternative of the
``grant_*`` parameters, and is no catalog step; ``requests.new_request`` counts every
parameter a step's playbook gates on as needed (alternatives not considered) and
``execution.run_step`` runs only the step's own playbook.  So this request is made with
``create_request`` and the playbook run with ``run_playbook`` until the core takes
alternatives of gated parameters and a step's alternative playbook.  What the firewall
found is recorded by ``recorders.apply_reconcile``, as a recorder would.
"""

from __future__ import annotations

from sqlalchemy import select

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.grants import ledger
from sop_runner.procedures.grants.models import ACTIVE, FirewallGrant
from sop_runner.procedures.grants.policy import (
    PROCEDURE,
    RECONCILE_PLAYBOOK,
    epoch_seconds,
    too_late,
)
from sop_runner.procedures.grants.recorders import ReconcileOutcome, apply_reconcile
from sop_runner.procedures.grants.service import GrantFailed, petugas
from sop_runner.requests import create_request
from sop_runner.runner import run_playbook


def firewalls_of(ctx: Context, firewall: str | None) -> list[str]:
    """Given one firewall or None (all), return the firewalls to reconcile.

    Raise SopError if it is not in the group 'firewalls', or there is none.
    """
    firewalls = sorted(ctx.inventory.groups.get("firewalls", frozenset()))
    if firewall is not None:
        if firewall not in firewalls:
            raise SopError(
                f"--firewall: {firewall!r} is not in the group 'firewalls'; allowed: "
                + (", ".join(firewalls) or "none")
            )
        firewalls = [firewall]
    if not firewalls:
        raise SopError("reconcile: the inventory has no group 'firewalls'")
    return firewalls


def reconcile(
    ctx: Context, operator: str | None, firewall: str | None = None
) -> list[ReconcileOutcome]:
    """Given the records, make each firewall hold exactly the active grants.

    Return one outcome per firewall.  Raise GrantFailed (recorded) when a
    firewall could not be reconciled.
    """
    who = petugas(ctx, operator)
    return [_one(ctx, fw, who) for fw in firewalls_of(ctx, firewall)]


def _one(ctx: Context, fw: str, who: str) -> ReconcileOutcome:
    now = ledger.now()
    with ctx.session() as session:
        settled = ledger.settle_expired(session, now)
        due = []
        for grant in session.scalars(
            select(FirewallGrant).where(
                FirewallGrant.firewall == fw, FirewallGrant.status == "scheduled"
            )
        ).all():
            if grant.starts_at <= now:
                late = too_late(grant.ends_at, now)
                if late:
                    ledger.unreached(session, grant, late, who)
                    continue
                due.append(grant)
        active = session.scalars(
            select(FirewallGrant).where(
                FirewallGrant.firewall == fw, FirewallGrant.status.in_(ACTIVE)
            )
        ).all()
        wanted = [
            {
                "source": g.source,
                "destination": g.destination,
                "port": g.port,
                "protocol": g.protocol,
                "expires_at": epoch_seconds(g.ends_at),
            }
            for g in sorted([*active, *due], key=lambda g: g.id)
        ]
        reason = f"reconcile firewall {fw} with the records"
        request = create_request(session, PROCEDURE, [fw], {"grants": wanted}, reason, who)
        for grant in due:
            ledger.requested(session, grant, request.id, "open", {"by": "schedule"})
        request_id = request.id
    result = run_playbook(
        ctx.settings,
        RECONCILE_PLAYBOOK,
        [fw],
        {"grants": wanted, "sop_request": request_id},
        ident=f"grant-reconcile-{fw}-r{request_id}",
    )
    with ctx.session() as session:
        if not result.ok:
            failure = {"action": "reconcile", "firewall": fw, "error": result.error}
            ledger.event(session, None, "failed", who, failure)
            session.commit()
            raise GrantFailed(f"reconcile {fw}: {result.error}")
        found = dict(((result.artifact_data or {}).get("firewall_grant") or {}).get(fw) or {})
        anomalies, restored, opened = apply_reconcile(session, fw, request_id, found, who)
        audit.append(
            session,
            who,
            "grant.reconciled",
            f"firewall/{fw}",
            {
                "request": request_id,
                "anomalies": len(anomalies),
                "restored": len(restored),
                "opened": opened,
                "settled": settled,
            },
        )
    return ReconcileOutcome(fw, anomalies, restored, opened, settled)
