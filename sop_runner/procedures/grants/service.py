"""SOP 2.4 actions: open, extend, revoke and list grants, each change through a 2.4 request.

Every change of the firewall is a request of procedure 2.4 made with
``requests.new_request`` (the parameter schema, the gated parameters) and carried
out by ``execution.run_step`` on the catalog's automated step 2
(remote_access_grant.yml): a Run and its StepRecord like `sop run`, and the
recorder (recorders.py) applies what the firewall took to the grant.  This
module asks and reads the outcome; the records are written by ledger.py.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import execution
from sop_runner.context import Context
from sop_runner.durations import compact
from sop_runner.errors import SopError, StepFailed
from sop_runner.i18n import N_, _
from sop_runner.procedures.grants import accounts, ledger
from sop_runner.procedures.grants.models import LIVE, FirewallGrant, GrantEvent, GrantSession
from sop_runner.procedures.grants.policy import (
    GRANT_STEP,
    PROCEDURE,
    UNREACHED,
    GrantWish,
    check_grant_id,
    check_protocol,
    check_source,
    check_total,
    end_of,
    grant_params,
    parse_duration,
    too_late,
    unreached_text,
    validate,
)
from sop_runner.requests import new_request

# How a grant was closed (FirewallGrant.closed_by), as a refusal says it.
CLOSED_BY = {
    "expiry": N_("(closed at its end)"),
    "revoke": N_("(revoked)"),
    "reconcile": N_("(closed by reconcile)"),
}


class GrantFailed(SopError):
    """The firewall did not take the change (exit 1); the records say so."""

    exit_code = 1


def petugas(ctx: Context, name: str | None) -> str:
    """Given an operator name, return it; raise SopError unless the operator is a petugas."""
    operator = ctx.actor(name)
    if "petugas" not in operator.roles:
        raise SopError(
            _(
                "operator: {name!r} is not a petugas; SOP 2.4 has the petugas open, "
                "extend and close ports"
            ).format(name=operator.name)
        )
    return operator.name


def get_grant(ctx: Context, grant_id: int) -> FirewallGrant:
    """Given a grant id, return the grant (detached); raise SopError when there is none."""
    with ctx.session() as session:
        grant = _grant(session, grant_id)
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
    """Given what a petugas asks, record the grant and open it now (or schedule it); with
    a vendor key, have it certified for the grant (accounts.py).

    Raise SopError (nothing written) when the wish is refused, GrantFailed
    (recorded) when the firewall does not take it or its end comes first.
    """
    now = ledger.now()
    who = petugas(ctx, operator)
    target, start, end = validate(ctx, wish, now)
    scheduled = start > now + timedelta(seconds=1)
    vendor = _vendor_key(ctx, wish, scheduled)
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
        if vendor is not None:
            accounts.remember_key(session, grant, *vendor)
    if not scheduled:
        request_id = _activate(ctx, grant_id, who)
        if vendor is not None:
            _certify(ctx, grant_id, request_id, who)
    return get_grant(ctx, grant_id)


def _vendor_key(ctx: Context, wish: GrantWish, scheduled: bool) -> tuple[str, str, Path] | None:
    """Given the wish, return the vendor's key, account and certificate file (None without a
    key); raise SopError (nothing written) when they cannot be certified."""
    if wish.vendor_key is None:
        return None
    if scheduled:
        raise SopError(
            _(
                "--vendor-key: a certificate is issued when the port opens; give --start now "
                "(or open the scheduled grant's certificate later with a new grant)"
            )
        )
    if ctx.settings.trust.issuer is None:
        raise SopError(
            _("--vendor-key: the trust file names no issuer; it alone signs certificates")
        )
    key, _fingerprint = accounts.read_vendor_key(wish.vendor_key, wish.account)
    return key, wish.account, accounts.certificate_path(wish.vendor_key)


def _certify(ctx: Context, grant_id: int, request_id: int, who: str) -> None:
    """Given an open grant with a vendor key, have its certificate issued; raise GrantFailed
    (the port stays as the firewall has it) when the issuer refuses."""
    try:
        accounts.certify(ctx, grant_id, request_id, who)
    except SopError as refused:
        raise GrantFailed(
            _("grant {id} is open but has no certificate: {why}").format(id=grant_id, why=refused)
        ) from None


def _activate(ctx: Context, grant_id: int, actor: str) -> int:
    """Given a recorded grant, put it on the firewall; return the request that did.

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
            raise GrantFailed(_("grant {id}: {why}").format(id=grant_id, why=unreached_text(late)))
        change = _Change(
            grant,
            "open",
            {},
            {
                **grant_params(grant, "present", grant.ends_at),
                **accounts.vendor_params(session, grant),
            },
            f"grant {grant.id}: {grant.reason}",
            N_("the firewall did not take it"),
        )
    return _carry(ctx, change, actor)


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
        grant = _live(
            session,
            grant_id,
            _(
                "grant: {id} is {status}{by}; allowed: extend an open or scheduled grant "
                "(open a new one otherwise)"
            ),
        )
        old_end = grant.ends_at
        new_end = end_of(old_end, extra, "--by")
        # The maximum counts from the grant's start, extensions included.
        check_total(grant_id, grant.starts_at, old_end, new_end)
        by_text = compact(extra)
        change = _Change(
            grant,
            "extend",
            {"by": by_text},
            {**grant_params(grant, "present", new_end), **accounts.vendor_params(session, grant)},
            f"grant {grant_id}: extend by {by_text}",
            N_("the firewall did not take the extension"),
        )
        if grant.status == "scheduled":
            moved = {"from": old_end.isoformat(), "to": new_end.isoformat()}
            ledger.extended(session, grant, new_end, who, moved)
    if change.on_firewall:
        request_id = _carry(ctx, change, who)
        if change.params.get("grant_vendor_key"):
            _certify(ctx, grant_id, request_id, who)  # a certificate for the new end
    return get_grant(ctx, grant_id)


def revoke_grant(ctx: Context, grant_id: int, reason: str, operator: str | None) -> FirewallGrant:
    """Given a live grant, close it at once (on the firewall when active).

    Raise SopError (nothing written) when refused; GrantFailed (recorded) when
    the firewall does not close it.
    """
    check_grant_id(grant_id)
    who = petugas(ctx, operator)
    if not reason.strip():
        raise SopError(_("--reason: required, say why the grant is revoked"))
    with ctx.session() as session:
        ledger.settle_expired(session)
        grant = _live(
            session,
            grant_id,
            _("grant: {id} is already {status}{by}; allowed: revoke an open or scheduled grant"),
        )
        change = _Change(
            grant,
            "revoke",
            {"reason": reason},
            grant_params(grant, "absent", grant.ends_at),
            f"grant {grant_id}: revoke: {reason}",
            N_("the firewall did not close it"),
        )
        if grant.status == "scheduled":
            ledger.close(session, grant, ledger.now(), "revoke", who, {"reason": reason})
    if change.on_firewall:
        _carry(ctx, change, who)
    if accounts.certificates(ctx, grant_id):
        # Closed before its end: the certificates still valid are revoked on the target.
        try:
            accounts.account_step(ctx, grant_id, who, revoke=True)
        except SopError as failure:
            raise GrantFailed(
                _(
                    "grant {id} is closed on the firewall, but its certificates were not "
                    "revoked on {target}: {why}"
                ).format(id=grant_id, target=change_target(ctx, grant_id), why=_cause(failure))
            ) from None
    return get_grant(ctx, grant_id)


def read_sessions(ctx: Context, grant_id: int, operator: str | None) -> list[GrantSession]:
    """Given a grant with certificates, read their sessions from the target's sshd log into
    the records; return the grant's sessions (detached)."""
    check_grant_id(grant_id)
    who = petugas(ctx, operator)
    get_grant(ctx, grant_id)
    accounts.account_step(ctx, grant_id, who, revoke=False)
    with ctx.session() as session:
        rows = accounts.sessions_of(session, grant_id)
        session.expunge_all()
        return rows


def failures(ctx: Context, grant_ids: list[int]) -> dict[int, str]:
    """Given grants, return for each failed one why it failed (its last failure recorded),
    said in the process's language: a reason recorded as a key (policy.UNREACHED) is
    translated, so is an English text of the catalog; the firewall's own words stay."""
    said: dict[int, str] = {}
    with ctx.session() as session:
        for event in session.scalars(
            select(GrantEvent)
            .where(GrantEvent.event == "failed", GrantEvent.grant_id.in_(grant_ids))
            .order_by(GrantEvent.id)
        ).all():
            detail = event.detail or {}
            why = detail.get("why")
            if isinstance(why, dict) and why.get("key") in UNREACHED:
                said[event.grant_id] = unreached_text(why)
            elif detail.get("error"):
                said[event.grant_id] = _(str(detail["error"]))
    return said


def change_target(ctx: Context, grant_id: int) -> str:
    """Given a grant, return its target host."""
    return get_grant(ctx, grant_id).target


# --------------------------------------------------------------------------- helpers


class _Change:
    """One change of a grant on the firewall: its request, and the words for a refusal
    (marked with N_, said in the person's language when the firewall refuses)."""

    def __init__(
        self,
        grant: FirewallGrant,
        action: str,
        detail: dict[str, Any],
        params: dict[str, Any],
        reason: str,
        refused: str,
    ) -> None:
        self.grant_id, self.firewall = grant.id, grant.firewall
        # A scheduled grant is not on the firewall yet: its change is the records' alone.
        self.on_firewall = grant.status != "scheduled"
        self.action, self.detail, self.params = action, detail, params
        self.reason, self.refused = reason, refused


def _grant(session: Session, grant_id: int) -> FirewallGrant:
    if (grant := session.get(FirewallGrant, grant_id)) is None:
        raise SopError(_("grant: no grant with id {id}").format(id=grant_id))
    return grant


def _live(session: Session, grant_id: int, refusal: str) -> FirewallGrant:
    """Given a grant id and the refusal to say (fields id, status, by), return the grant if
    open or scheduled; raise SopError otherwise."""
    grant = _grant(session, grant_id)
    if grant.status not in LIVE:
        how = grant.closed_by
        by = f" {_(CLOSED_BY[how])}" if how in CLOSED_BY else (f" ({how})" if how else "")
        raise SopError(refusal.format(id=grant_id, status=_(grant.status), by=by))
    return grant


def _carry(ctx: Context, change: _Change, actor: str) -> int:
    """Given a change of a grant, make its 2.4 request and run the grant step for it;
    return the request.

    The recorder applies the firewall's answer.  Raise GrantFailed (recorded)
    when the step fails: the firewall did not take the change.
    """
    request = new_request(ctx, PROCEDURE, [change.firewall], change.params, change.reason, actor)
    with ctx.session() as session:
        grant = _grant(session, change.grant_id)
        ledger.requested(session, grant, request.id, change.action, change.detail)
    try:
        execution.run_step(ctx, request.id, GRANT_STEP, actor)
    except (StepFailed, SopError) as failure:
        error = _cause(failure)
        with ctx.session() as session:
            grant = _grant(session, change.grant_id)
            ledger.refused(session, grant, change.action, error, actor, request.id)
        raise GrantFailed(
            _("grant {id}: {refused}: {why}").format(
                id=change.grant_id, refused=_(change.refused), why=error
            )
        ) from None
    return request.id


def _cause(failure: Exception) -> str:
    """Given why the grant step stopped, return the firewall's (or gate's) own words."""
    text = str(failure)
    head, sep, rest = text.partition(") failed: ")
    return rest if sep and head.startswith(f"step {GRANT_STEP} (") else text
