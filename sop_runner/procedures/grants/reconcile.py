"""SOP 2.4 reconciliation: make each firewall hold exactly the recorded active grants.

Grants on a firewall that the records do not hold (or hold as ended) are closed
and reported as anomalies; active recorded grants missing from the firewall are
put back; scheduled grants whose start has come are opened.

Like every grant change, the reconciliation is a 2.4 request made with
``requests.new_request`` and carried out by ``execution.run_step`` on step 2: the
catalog names remote_access_reconcile.yml as that step's playbook when the request
carries the ``grants`` list.  What the firewall found is recorded by the grants
recorder (``recorders.record_from_run`` → ``apply_reconcile``).
"""

from __future__ import annotations

from sqlalchemy import select

from sop_runner import execution
from sop_runner.context import Context
from sop_runner.errors import SopError, StepFailed
from sop_runner.i18n import _
from sop_runner.procedures.grants import ledger
from sop_runner.procedures.grants.models import ACTIVE, FirewallGrant
from sop_runner.procedures.grants.policy import (
    GRANT_STEP,
    PROCEDURE,
    epoch_seconds,
    too_late,
)
from sop_runner.procedures.grants.recorders import ReconcileOutcome, reconciled
from sop_runner.procedures.grants.service import GrantFailed, petugas
from sop_runner.requests import new_request


def firewalls_of(ctx: Context, firewall: str | None) -> list[str]:
    """Given one firewall or None (all), return the firewalls to reconcile.

    Raise SopError if it is not in the group 'firewalls', or there is none.
    """
    firewalls = sorted(ctx.inventory.groups.get("firewalls", frozenset()))
    if firewall is not None:
        if firewall not in firewalls:
            raise SopError(
                _(
                    "--firewall: {firewall!r} is not in the group 'firewalls'; allowed: {allowed}"
                ).format(firewall=firewall, allowed=", ".join(firewalls) or _("none"))
            )
        firewalls = [firewall]
    if not firewalls:
        raise SopError(_("reconcile: the inventory has no group 'firewalls'"))
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
        due_ids = [grant.id for grant in due]
    reason = f"reconcile firewall {fw} with the records"
    request = new_request(ctx, PROCEDURE, [fw], {"grants": wanted}, reason, who)
    with ctx.session() as session:
        for grant_id in due_ids:
            grant = session.get(FirewallGrant, grant_id)
            assert grant is not None
            ledger.requested(session, grant, request.id, "open", {"by": "schedule"})
    try:
        execution.run_step(ctx, request.id, GRANT_STEP, who)
    except (StepFailed, SopError) as failure:
        with ctx.session() as session:
            detail = {"action": "reconcile", "firewall": fw, "error": str(failure)}
            ledger.event(session, None, "failed", who, {**detail, "request": request.id})
        raise GrantFailed(
            _("reconcile {firewall}: {failure}").format(firewall=fw, failure=failure)
        ) from None
    with ctx.session() as session:
        anomalies, restored, opened = reconciled(session, request.id)
        return ReconcileOutcome(fw, anomalies, restored, opened, settled)
