"""Requests (work orders): procedure, targets, parameters and impact, fixed by a hash."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

import yaml

from sop_runner import audit, yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _

# The ORM where it is used: `sop status` hashes and checks a request read without it.
if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from sop_runner.context import Context
    from sop_runner.operators import Acting
    from sop_runner.store.models import Request
    from sop_runner.trust.registry import Registry

_PARAM_KEY = re.compile(r"^[a-z_][a-z0-9_]*$")


def parse_params(pairs: list[str]) -> dict[str, Any]:
    """Given KEY=VALUE strings, return the parameters.

    VALUE is read as a YAML scalar or flow list (``paths=[/etc,/srv]``).
    Raise SopError naming the malformed pair.
    """
    params: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        if not sep or not _PARAM_KEY.match(key):
            raise SopError(
                _(
                    "--param: {pair!r} is not KEY=VALUE with KEY of lowercase letters, "
                    "digits and underscores"
                ).format(pair=pair)
            )
        if key.startswith("sop_"):
            raise SopError(
                _("--param: {key!r}: names starting with 'sop_' are reserved").format(key=key)
            )
        try:
            params[key] = parse_value(raw)
        except SopError as error:
            raise SopError(f"--param: {key}: {error}") from None
    return params


def parse_value(raw: str) -> Any:
    """Given a parameter's text, return its value (YAML scalar or flat list).

    Raise SopError if it is a mapping, a nested list or not YAML.
    """
    try:
        value = yamlio.load(raw) if raw else ""
    except yaml.YAMLError:
        raise SopError(_("value {raw!r} is not a scalar or [list]").format(raw=raw)) from None
    if isinstance(value, dict) or (
        isinstance(value, list) and any(isinstance(v, dict | list) for v in value)
    ):
        raise SopError(_("value {raw!r}: a scalar or a flat [list] is allowed").format(raw=raw))
    if isinstance(value, datetime | date):
        value = value.isoformat()
    return value


def request_hash(request: Request) -> str:
    """Given a request, return the SHA-256 over its canonical content."""
    return hashlib.sha256(
        audit.canonical(
            {
                "id": request.id,
                "procedure": request.procedure_id,
                "targets": sorted(request.targets),
                "params": request.params,
                "impact": request.impact,
                "reason": request.reason,
                "requested_by": request.requested_by,
                "created_at": request.created_at,
            }
        ).encode()
    ).hexdigest()


def request_data(request: Request) -> dict[str, Any]:
    """Given a request, return what its requester's signature covers (with its hash)."""
    return {
        "procedure": request.procedure_id,
        "targets": request.targets,
        "params": request.params,
        "impact": request.impact,
        "hash": request_hash(request),
    }


def create_request(
    session: Session,
    acting: Acting,
    procedure_id: str,
    targets: list[str],
    params: dict[str, Any],
    reason: str,
    impact: dict[str, Any] | None = None,
) -> Request:
    """Given who asks and validated procedure, targets and parameters, store a signed request.

    The requester's signature (their own key) covers the request's content,
    its impact (``gates.fixed_impact``: the services hit and the gates needed;
    a request without one is refused by every gate) and the audit head it
    follows; the block is kept on the row.
    """
    if not reason.strip():
        raise SopError(_("--reason: required, say why the work is needed"))
    from sop_runner.store.models import Request

    request = Request(
        procedure_id=procedure_id,
        targets=sorted(targets),
        params=params,
        reason=reason,
        requested_by=acting.name,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        status="open",
        registry_version=acting.registry_version,
        impact=impact,
    )
    session.add(request)
    session.flush()
    request.signed = acting.sign(
        session, "request.created", f"request/{request.id}", request_data(request)
    )
    session.flush()
    return request


def request_problems(request: Request, registries: Sequence[Registry]) -> list[str]:
    """Given a request and every registry version, return why its requester's signature fails."""
    from sop_runner.trust.trail import verify_block

    return verify_block(
        request.signed,
        "request.created",
        f"request/{request.id}",
        request_data(request),
        request.requested_by,
        registries,
    )


def get_request(session: Session, request_id: int) -> Request:
    """Given an id, return the request; raise SopError if there is none."""
    from sop_runner.store.models import Request

    request = session.get(Request, request_id)
    if request is None:
        raise SopError(_("request: no request with id {id}").format(id=request_id))
    return request


def new_request(
    ctx: Context,
    procedure_id: str,
    targets: list[str],
    params: dict[str, Any],
    reason: str,
    operator: str | None,
) -> Request:
    """Given what a person (or a feature on their behalf) asks, check it and store a request.

    The one way every caller makes a request (`sop request`, `sop grant`,
    schedules): targets resolved against the inventory, parameters checked
    against the procedure's schema and its features' own checks, derived
    parameters computed, every parameter a gated playbook fixes present.
    Raise SopError (nothing written) naming the first thing that is wrong.
    """
    from sop_runner.gates import fixed_impact
    from sop_runner.impact import analyse
    from sop_runner.params import validate
    from sop_runner.playbooks import gated_params

    person = ctx.actor(operator)
    procedure = ctx.catalog.get(procedure_id)
    if procedure.target == "place":
        # A room is no host: 1.1, 1.4, 2.x, 6.3, 6.4 act on places of the site (issue 16).
        hosts = ctx.inventory.site.resolve_places(targets)
    else:
        hosts = ctx.inventory.resolve_targets(targets)
    checked = validate(procedure, params, hosts=ctx.inventory.hosts)
    for derive in ctx.features.derivers(procedure.id):
        derived = derive(ctx.settings.inventory, hosts, checked)
        typed = sorted(set(derived) & set(params))
        if typed:
            raise SopError(
                _(
                    "--param {name}: computed by `sop request {procedure}` itself from the "
                    "repository; leave it out"
                ).format(name=typed[0], procedure=procedure.id)
            )
        checked.update(derived)
    for check in ctx.features.param_checks(procedure.id):
        check(ctx, hosts, checked)
    playbooks = [s.playbook_for(checked) for s in procedure.steps if s.playbook]
    needed = set().union(*(gated_params(p) for p in playbooks if p))
    missing = sorted(needed - set(checked))
    if missing:
        raise SopError(
            _(
                "--param: procedure {procedure} needs {names} (its playbooks are gated on them)"
            ).format(procedure=procedure.id, names=", ".join(missing))
        )
    # What the request hits and the gates it needs, from the trusted inventory, now:
    # signed with it, and held against the inventory again at every gate.
    the_impact = analyse(procedure, ctx.inventory, hosts, checked)
    _check_plan(ctx, procedure, checked, the_impact)
    impact = fixed_impact(procedure, the_impact, checked)
    with ctx.session() as session:
        request = create_request(session, person, procedure.id, hosts, checked, reason, impact)
        session.flush()  # the signature block set after the insert goes with it
        session.expunge(request)
    return request


def _check_plan(ctx: Context, procedure: Any, params: dict[str, Any], the_impact: Any) -> None:
    """Given a request's procedure, parameters and impact, raise SopError when the plan
    names a service the catalog lacks, or a circular is needed and no window is given."""
    known = {s.name for s in ctx.inventory.services}
    for name in params.get("services") or [] if procedure.target == "place" else []:
        if name not in known:
            raise SopError(
                _(
                    "--param services: {name!r} is not a service of the service catalog; "
                    "allowed: {allowed}"
                ).format(name=name, allowed=", ".join(sorted(known)) or _("none"))
            )
    window = procedure.window_param
    if the_impact.circular_required and window and not params.get(window):
        hit = ", ".join(s.name for s in the_impact.services)
        raise SopError(
            _(
                "--param {window}: required: the work hits {hit}, so a circular to the OPDs "
                "is drafted; give the planned window START/END (e.g. "
                "2025-06-01T22:00+07:00/2025-06-02T02:00+07:00)"
            ).format(window=window, hit=hit)
        )


def cancel_request(ctx: Context, request_id: int, reason: str, operator: str | None) -> Request:
    """Given a request, cancel it with a signed reason: no gate lets it run again.

    The requester may cancel their own request, a penanggung jawab or the pimpinan
    any.  A run of it that is under way stops at its next step.  Raise SopError
    (nothing written) when the reason is empty, the request is closed already, or
    the operator may not cancel it.
    """
    from sop_runner.claims import assert_not_closed

    if not reason.strip():
        raise SopError(_("--reason: required, say why the request is cancelled"))
    person = ctx.actor(operator)
    with ctx.session() as session:
        request = get_request(session, request_id)
        assert_not_closed(request)
        if person.name != request.requested_by and not {"penanggung_jawab", "pimpinan"} & set(
            person.roles
        ):
            raise SopError(
                _(
                    "cancel: {name!r} (roles {roles}) did not make request {id}; its "
                    "requester, a penanggung_jawab or the pimpinan cancels it"
                ).format(name=person.name, roles=", ".join(person.roles), id=request.id)
            )
        signed = person.sign(
            session,
            "request.cancelled",
            f"request/{request.id}",
            {"reason": reason, "hash": request_hash(request)},
        )
        request.status = "cancelled"
        request.closed = {
            "status": "cancelled",
            "by": person.name,
            "at": signed.get("time") or datetime.now(UTC).isoformat(timespec="seconds"),
            "reason": reason,
        }
        session.flush()
        session.expunge(request)
    return request
