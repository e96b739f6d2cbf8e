"""The issuer's decision: may this caller have a certificate for this, and what may it say.

Everything is read from the issuer's own trust root (its store, registry, inventory
and catalog), never from the caller: the caller sends only which request, run and
step, the operator it acts as, and the public key.  A refusal is one line (SopError).

- ``step``: a step of a request.  The request's own signature holds; it is not done,
  rejected, cancelled or expired; every gate up to the step has a valid approval now;
  the operator holds the step's role; a named run is this request's running run.
  Principals: exactly the request's targets, plus the host of an SFTP ``repository``
  parameter that is in the inventory (the backup steps authorize the target's key
  there: the approvers saw that host in the signed parameters).  Lifetime: the
  step's Mutu Baku plus the margin, never past the earliest approval's end.
- ``plan``: a check-mode preview without a request (`sop plan`), for hosts of the
  inventory, PLAN_LIFETIME long, and only to root: the control node's service (CI,
  AWX, cron) that renders plans for pull requests.  A certificate cannot know check
  mode, so a preview is a login like any other; a person gets one only through a
  signed request.
- ``vendor``: a remote user's own key for a SOP 2.4 grant (``vendor``).
"""

from __future__ import annotations

import pwd
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from sop_runner import gates, impact
from sop_runner.durations import parse as parse_duration
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer import certs
from sop_runner.issuer.ask import Ask, check_time
from sop_runner.requests import get_request
from sop_runner.store.models import Request, Run
from sop_runner.trust.registry import Registry, RegistryOperator

if TYPE_CHECKING:
    from sop_runner.context import Context
    from sop_runner.trust.trustfile import IssuerSettings

PLAN_LIFETIME = timedelta(minutes=10)
# Requests in these states are finished: their approvals open nothing any more.
FINISHED = ("done", "rejected", "cancelled", "expired")
_SFTP_HOST = re.compile(r"^sftp:(?:[^@/:]+@)?([^:/]+):")


@dataclass(frozen=True)
class Caller:
    """Who is at the other end of the socket, as the kernel says (SO_PEERCRED)."""

    pid: int
    uid: int
    gid: int

    @property
    def user(self) -> str:
        try:
            return pwd.getpwuid(self.uid).pw_name
        except KeyError:
            return f"uid {self.uid}"


def acting_operator(registry: Registry, ask: Ask, caller: Caller) -> RegistryOperator:
    """Given the registry in force, an ask and its caller, return the operator who asks.

    The caller's Unix user must be the operator's account in the registry (root, who
    can read the CA key anyway, may act as anyone: tests and the demo run as root),
    and the ask must be signed with that operator's key.  Raise SopError otherwise.
    """
    operator = registry.get(ask.operator)
    if operator is None:
        raise SopError(
            _("operator: {name!r} is not in registry version {version}").format(
                name=ask.operator, version=registry.version
            )
        )
    if caller.uid != 0 and caller.user != operator.unix_user:
        raise SopError(
            _(
                "caller: Unix user {user} (uid {uid}) is not the account of operator "
                "{name} ({unix_user}); a petugas asks only as himself"
            ).format(
                user=caller.user, uid=caller.uid, name=operator.name, unix_user=operator.unix_user
            )
        )
    if not operator.verify(ask.signature, ask.payload()):
        raise SopError(
            _(
                "signature: the ask is not signed with {name}'s key in registry version {version}"
            ).format(name=operator.name, version=registry.version)
        )
    return operator


def _assert_live(request: Request) -> None:
    """Given a request, raise SopError when it is closed (done, rejected, cancelled or
    expired: its approvals are spent), in the words the gate uses (sop_runner/claims.py)."""
    try:
        from sop_runner.claims import assert_not_closed
    except ImportError:  # before single use landed: the request's status alone
        assert_not_closed = None
    if assert_not_closed is not None:
        assert_not_closed(request)
    elif request.status in FINISHED:
        raise SopError(
            _("request {id} is {status}: no certificate for it").format(
                id=request.id, status=_(request.status)
            )
        )


def _states(ctx: Context, request: Request, procedure: Any, now: datetime) -> list[gates.GateState]:
    """Given a request, return its gate states as the gate computes them now: from the
    impact the request fixed (refused if the inventory moved it) and with the
    procedure's bound on an approval's life."""
    the_impact = impact.analyse(procedure, ctx.inventory, request.targets, request.params)
    fixed = getattr(gates, "assert_impact_fixed", None)
    if fixed is not None:
        fixed(request, procedure, the_impact)
    longest = getattr(gates, "longest_approval", None)
    extra: dict[str, Any] = {}
    if longest is not None:
        extra["longest"] = longest(procedure, getattr(ctx.settings.trust, "approval_max", None))
    with ctx.session() as session:
        return gates.gate_states(session, request, procedure, the_impact, ctx.trusted, now, **extra)


def _assert_run(ctx: Context, request: Request, run_id: int | None) -> None:
    """Given a request and the run the caller names (if any), raise SopError unless it is
    that request's running run."""
    if run_id is None:
        return
    with ctx.session() as session:
        run = session.get(Run, run_id)
        if run is None or run.request_id != request.id or run.status != "running":
            state = (
                _("no such run")
                if run is None
                else _("run of request {request}, {status}").format(
                    request=run.request_id, status=_(run.status)
                )
            )
            raise SopError(
                _("run {run}: not a running run of request {request} ({state})").format(
                    run=run_id, request=request.id, state=state
                )
            )


def repository_hosts(ctx: Context, procedure: Any, params: dict[str, Any]) -> set[str]:
    """Given a procedure and a request's parameters, return the inventory hosts its SFTP
    repository parameters name (the step reaches them to authorize the target's key)."""
    found: set[str] = set()
    for spec in procedure.params:
        host = sftp_host(params.get(spec.name)) if spec.type == "repository" else None
        if host in ctx.inventory.hosts:
            found.add(str(host))
    return found


def approval_ends(states: list[gates.GateState], up_to_step: int) -> list[datetime]:
    """Given gate states, return for every required gate up to a step the end of its
    longest-lasting valid approval (the gate stays open until then)."""
    ends = []
    for state in states:
        if state.requirement.step_number > up_to_step or not state.requirement.required:
            continue
        valid = [
            datetime.fromisoformat(a.expires_at)
            for a, problems in state.approvals
            if a.decision == "approve" and not problems
        ]
        if valid:
            ends.append(max(valid))
    return ends


def decide_step(ctx: Context, ask: Ask, settings: IssuerSettings, now: datetime) -> certs.Grant:
    """Given a caller's ask for a step of a request, return what its certificate grants.

    Raise SopError (one line) when the request, its approvals, the run or the
    operator's role do not allow it.
    """
    from sop_runner.execution import step_role

    if ask.request is None or ask.step is None:
        raise SopError(_("ask: a step certificate names its request and step"))
    trusted = ctx.trusted
    operator = trusted.current.operator(ask.operator)
    with ctx.session() as session:
        request = get_request(session, ask.request)
        session.expunge(request)
    _assert_live(request)
    procedure = ctx.catalog.get(request.procedure_id)
    step = procedure.step(ask.step)
    if step.kind != "automated":
        raise SopError(
            _("step {step} of {procedure} is not automated: nothing connects").format(
                step=step.number, procedure=procedure.id
            )
        )
    if step_role(step) not in operator.roles:
        raise SopError(
            _(
                "operator {name} (roles {roles}) does not hold the "
                "role {role} of step {step} of {procedure}"
            ).format(
                name=operator.name,
                roles=", ".join(operator.roles),
                role=step_role(step),
                step=step.number,
                procedure=procedure.id,
            )
        )
    gates.assert_request_signed(request, trusted)
    states = _states(ctx, request, procedure, now)
    gates.assert_open(states, request, step.number)
    _assert_run(ctx, request, ask.run)
    standard = step.standard_time.max_seconds if step.standard_time else None
    margin = parse_duration(settings.margin, "issuer.margin")
    end = certs.step_lifetime(now, standard, margin, approval_ends(states, step.number))
    principals = sorted(set(request.targets) | repository_hosts(ctx, procedure, request.params))
    return certs.Grant(
        key_id=certs.step_key_id(request.id, ask.run, step.number, operator.name),
        principals=tuple(principals),
        valid_after=now - certs.BACKDATE,
        valid_before=end,
        source_addresses=settings.source_addresses,
    )


def decide_plan(
    ctx: Context, ask: Ask, caller: Caller, settings: IssuerSettings, now: datetime
) -> certs.Grant:
    """Given a caller's ask for a check-mode preview of hosts, return its grant.

    Raise SopError unless the caller is root (the control node's service: the kernel
    says so, no operator key is involved) and every host is in the trusted inventory.
    """
    if caller.uid != 0:
        raise SopError(
            _(
                "plan: a preview without a request is certified for root only (the control "
                "node's CI/AWX service), not for {user}; a person's access comes from a "
                "signed request (`sop request`)"
            ).format(user=caller.user)
        )
    if not ask.targets:
        raise SopError(_("ask: targets: a plan names at least one host"))
    unknown = sorted(set(ask.targets) - set(ctx.inventory.hosts))
    if unknown:
        raise SopError(
            _("ask: targets: {host!r} is not a host of the trusted inventory").format(
                host=unknown[0]
            )
        )
    return certs.Grant(
        key_id=certs.plan_key_id(caller.user),
        principals=tuple(sorted(set(ask.targets))),
        valid_after=now - certs.BACKDATE,
        valid_before=now + PLAN_LIFETIME,
        source_addresses=settings.source_addresses,
    )


def decide(
    ctx: Context, ask: Ask, caller: Caller, settings: IssuerSettings, now: datetime | None = None
) -> certs.Grant:
    """Given an ask, its caller and the issuer's settings, return what to certify.

    Raise SopError (one line, naming the reason) to refuse.
    """
    from sop_runner.issuer.vendor import decide_vendor

    now = now or datetime.now(UTC)
    check_time(ask, now)
    if ask.kind == "plan":
        return decide_plan(ctx, ask, caller, settings, now)
    acting_operator(ctx.trusted.current, ask, caller)
    if ask.kind == "step":
        return decide_step(ctx, ask, settings, now)
    return decide_vendor(ctx, ask, settings, now)


def sftp_host(value: object) -> str | None:
    """Given a parameter's value, return the host of an SFTP repository URL (else None)."""
    match = _SFTP_HOST.match(value) if isinstance(value, str) else None
    return match.group(1) if match else None
