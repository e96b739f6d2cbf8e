"""SOP 2.4 actions: open, extend, revoke and list grants, each change through a 2.4 request.

Every change of the firewall is a request of procedure 2.4 made with
``requests.new_request`` (the parameter schema, the gated parameters) and carried
out by ``execution.run_step`` on the catalog's automated step 2
(remote_access_grant.yml): a Run and its StepRecord like `sop run`, and the
recorder (recorders.py) applies what the firewall took to the grant.  This
module asks and reads the outcome; the records are written by ledger.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import execution
from sop_runner.context import Context
from sop_runner.durations import compact
from sop_runner.errors import SopError, StepFailed
from sop_runner.operators import get_operator
from sop_runner.procedures.grants import ledger
from sop_runner.procedures.grants.models import LIVE, FirewallGrant
from sop_runner.procedures.grants.policy import (
    GRANT_STEP,
    PROCEDURE,
    GrantWish,
    check_grant_id,
    check_protocol,
    check_source,
    check_total,
    end_of,
    grant_params,
    parse_duration,
    too_late,
    validate,
)
from sop_runner.requests import new_request


class GrantFailed(SopError):
    """The firewall did not take the change (exit 1); the records say so."""

    exit_code = 1


def petugas(ctx: Context, name: str | None) -> str:
    """Given an operator name, return it; raise SopError unless the operator is a petugas."""
    operator = get_operator(ctx.operators, name)
    if "petugas" not in operator.roles:
        raise SopError(
            f"operator: {operator.name!r} is not a petugas; SOP 2.4 has the petugas open, "
            "extend and close ports"
        )
    return operator.name


def get_grant(ctx: Context, grant_id: int) -> FirewallGrant:
    """Given a grant id, return the grant (detached); raise SopError when there is none."""
    with ctx.session() as session:
        grant = session.get(FirewallGrant, grant_id)
        if grant is None:
            raise SopError(f"grant: no grant with id {grant_id}")
        session.expunge(grant)
        return grant


def list_grants(ctx: Context, every: bool) -> list[FirewallGrant]:
    """Given whether to show ended grants too, return the grants (detached), oldest first.

    Grants whose end has passed are settled first (closed by expiry, or failed).
    """
    with ctx.session() as session:
        ledger.settle_expired(session)
        query = select(FirewallGrant).order_by(FirewallGrant.id)
        if not every:
            query = query.where(FirewallGrant.status.in_(LIVE))
        rows = list(session.scalars(query).all())
        session.flush()
        session.expunge_all()
        return rows


def open_grant(ctx: Context, wish: GrantWish, operator: str | None) -> FirewallGrant:
    """Given what a petugas asks, record the grant and open it now (or schedule it).

    Raise SopError (nothing written) when the wish is refused, GrantFailed
    (recorded) when the firewall does not take it or its end comes first.
    """
    now = ledger.now()
    who = petugas(ctx, operator)
    target, start, end = validate(ctx, wish, now)
    scheduled = start > now + timedelta(seconds=1)
    with ctx.session() as session:
        grant = ledger.new_grant(
            session,
            user=wish.user.strip(),
            source=check_source(wish.source),
            target=target.name,
            destination=target.address,
            port=wish.port,
            protocol=check_protocol(wish.protocol),
            firewall=target.firewall,
            backend=target.backend,
            reason=wish.reason.strip(),
            petugas=who,
            status="scheduled" if scheduled else "opening",
            created_at=now,
            starts_at=start,
            ends_at=end,
        )
        ledger.event(session, grant, "requested", who, ledger.summary(grant))
        grant_id = grant.id
    if not scheduled:
        _activate(ctx, grant_id, who)
    return get_grant(ctx, grant_id)


def _activate(ctx: Context, grant_id: int, actor: str) -> None:
    """Given a recorded grant, put it on the firewall.

    Raise GrantFailed (recorded) when its end comes before it can reach the firewall.
    """
    with ctx.session() as session:
        grant = _grant(session, grant_id)
        # Measured now, not when the wish was checked: the firewall is not touched
        # for a grant whose end has come (the module measures again when it runs).
        late = too_late(grant.ends_at, ledger.now())
        if late:
            ledger.unreached(session, grant, late, actor)
            session.commit()
            raise GrantFailed(f"grant {grant_id}: {late}")
        params = grant_params(grant, "present", grant.ends_at)
        reason = f"grant {grant.id}: {grant.reason}"
        firewall = grant.firewall
    change = _Change(grant_id, "open", {}, "the firewall did not take it")
    _carry(ctx, change, firewall, params, reason, actor)


def extend_grant(ctx: Context, grant_id: int, by: str, operator: str | None) -> FirewallGrant:
    """Given a live grant and a duration, move its end later (on the firewall when active).

    Raise SopError (nothing written) when refused, e.g. past the maximum from the
    grant's start; GrantFailed (recorded) when the firewall does not take it.
    """
    check_grant_id(grant_id)
    who = petugas(ctx, operator)
    extra = parse_duration(by, "--by")
    now = ledger.now()
    with ctx.session() as session:
        ledger.settle_expired(session, now)
        grant = _grant(session, grant_id)
        if grant.status not in LIVE:
            raise SopError(
                f"grant: {grant_id} is {grant.status}"
                + (f" (by {grant.closed_by})" if grant.closed_by else "")
                + "; allowed: extend an open or scheduled grant (open a new one otherwise)"
            )
        old_end = grant.ends_at
        new_end = end_of(old_end, extra, "--by")
        # The maximum counts from the grant's start, extensions included.
        check_total(grant_id, grant.starts_at, old_end, new_end)
        on_firewall = grant.status != "scheduled"
        if not on_firewall:
            moved = {"from": old_end.isoformat(), "to": new_end.isoformat()}
            ledger.extended(session, grant, new_end, who, moved)
        params = grant_params(grant, "present", new_end)
        firewall = grant.firewall
    if on_firewall:
        by_text = compact(extra)
        change = _Change(
            grant_id, "extend", {"by": by_text}, "the firewall did not take the extension"
        )
        _carry(ctx, change, firewall, params, f"grant {grant_id}: extend by {by_text}", who)
    return get_grant(ctx, grant_id)


def revoke_grant(ctx: Context, grant_id: int, reason: str, operator: str | None) -> FirewallGrant:
    """Given a live grant, close it at once (on the firewall when active).

    Raise SopError (nothing written) when refused; GrantFailed (recorded) when
    the firewall does not close it.
    """
    check_grant_id(grant_id)
    who = petugas(ctx, operator)
    if not reason.strip():
        raise SopError("--reason: required, say why the grant is revoked")
    with ctx.session() as session:
        ledger.settle_expired(session)
        grant = _grant(session, grant_id)
        if grant.status not in LIVE:
            raise SopError(
                f"grant: {grant_id} is already {grant.status}"
                + (f" (by {grant.closed_by})" if grant.closed_by else "")
                + "; allowed: revoke an open or scheduled grant"
            )
        on_firewall = grant.status != "scheduled"
        if not on_firewall:
            ledger.close(session, grant, ledger.now(), "revoke", who, {"reason": reason})
        params = grant_params(grant, "absent", grant.ends_at)
        firewall = grant.firewall
    if on_firewall:
        change = _Change(grant_id, "revoke", {"reason": reason}, "the firewall did not close it")
        _carry(ctx, change, firewall, params, f"grant {grant_id}: revoke: {reason}", who)
    return get_grant(ctx, grant_id)


# --------------------------------------------------------------------------- helpers


@dataclass(frozen=True)
class _Change:
    """One change of a grant on the firewall, and the words for its refusal."""

    grant_id: int
    action: str
    detail: dict[str, Any]
    refused: str


def _grant(session: Session, grant_id: int) -> FirewallGrant:
    grant = session.get(FirewallGrant, grant_id)
    if grant is None:
        raise SopError(f"grant: no grant with id {grant_id}")
    return grant


def _carry(
    ctx: Context,
    change: _Change,
    firewall: str,
    params: dict[str, Any],
    reason: str,
    actor: str,
) -> None:
    """Given a change of a grant, make its 2.4 request and run the grant step for it.

    The recorder applies the firewall's answer.  Raise GrantFailed (recorded)
    when the step fails: the firewall did not take the change.
    """
    request = new_request(ctx, PROCEDURE, [firewall], params, reason, actor)
    with ctx.session() as session:
        ledger.requested(
            session, _grant(session, change.grant_id), request.id, change.action, change.detail
        )
    try:
        execution.run_step(ctx, request.id, GRANT_STEP, actor)
    except (StepFailed, SopError) as failure:
        error = _cause(failure)
        with ctx.session() as session:
            grant = _grant(session, change.grant_id)
            ledger.refused(session, grant, change.action, error, actor, request.id)
        raise GrantFailed(f"grant {change.grant_id}: {change.refused}: {error}") from None


def _cause(failure: Exception) -> str:
    """Given why the grant step stopped, return the firewall's (or gate's) own words."""
    text = str(failure)
    head, sep, rest = text.partition(") failed: ")
    return rest if sep and head.startswith(f"step {GRANT_STEP} (") else text
