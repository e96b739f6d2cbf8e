"""The gate as seen from inside a playbook (the sop_gate action plugin calls this).

A play passes when its request is for this procedure and exactly these hosts, its
extra vars are only sop_request, sop_params (and sop_run from `sop run`), its
``sop_params`` are the request's parameters (checked again against the procedure's
schema), the request is signed by its requester and still hits what it fixed,
it is not closed, no other run holds it, and every gate up to the step has a
valid approval.  A step before the procedure's first gate (``read_only``: it only
reads) needs no approval.  A step that changes something is claimed for its run
(sop_runner/claims.py).  Every refusal and every pass is an audit entry.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sop_runner import audit, claims, extravars, gates, impact
from sop_runner.catalog import Procedure, load_catalog
from sop_runner.context import Context
from sop_runner.errors import GateRefused, SopError
from sop_runner.i18n import _
from sop_runner.params import check, validate
from sop_runner.requests import get_request, parse_value
from sop_runner.store.models import Request


def data(value: Any) -> Any:
    """Given a value as Ansible loaded it (tagged types), return it as plain data."""
    if isinstance(value, Mapping):
        return {str(k): data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [data(v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    return str(value)


def _same(play_value: Any, request_value: Any) -> bool:
    # A value a play computes as text ("30") is read the way `sop request` read the
    # request's "30", so both sides compare as the same value.
    if isinstance(play_value, str):
        try:
            play_value = parse_value(play_value)
        except SopError:
            return False
    return audit.canonical(play_value) == audit.canonical(request_value)


def check_extra_vars(extra_vars: Mapping[str, Any]) -> None:
    """Given a play's extra vars, raise GateRefused naming every one a play of sop refuses."""
    refused = extravars.refused(list(extra_vars))
    if refused:
        raise GateRefused(
            _(
                "extra vars not allowed: {names}; a play of sop takes only "
                "sop_request and sop_params (-e @FILE, docs/using-sop.md)"
            ).format(names=", ".join(refused))
        )


def play_params(extra_vars: Mapping[str, Any]) -> dict[str, Any]:
    """Given a play's extra vars, return its sop_params as plain data.

    Raise GateRefused if sop_params is not a mapping.
    """
    given = extra_vars.get("sop_params", {})
    if not isinstance(given, Mapping):
        raise GateRefused(_("sop_params: must be a mapping of the request's parameters"))
    return data(given)


def awx_origin(extra_vars: Mapping[str, Any]) -> dict[str, Any]:
    """Given a play's extra vars, return what AWX says of its job (``awx_job_id``,
    ``awx_user_name``): empty for a play AWX did not launch.

    AWX's word, not a signature: it names who launched the job in the records; what
    lets the play through is still the request's signed approvals.
    """
    origin: dict[str, Any] = {}
    job = extra_vars.get("awx_job_id")
    if job is not None and str(job).isdigit():
        origin["awx_job_id"] = int(str(job))
    user = extra_vars.get("awx_user_name")
    if isinstance(user, str) and user:
        origin["awx_user_name"] = str(user)[:64]
    return origin


def _gate_actor(origin: Mapping[str, Any]) -> str:
    # The audit names the AWX user who launched the job; a plain play stays "ansible".
    user = origin.get("awx_user_name")
    return f"awx:{user}"[:64] if user else "ansible"


def check_dry_run(procedure_id: str, extra_vars: Mapping[str, Any]) -> None:
    """Given a check run without a request, raise GateRefused if its extra vars are
    refused or one of its sop_params does not fit the procedure's schema (a dry run may
    leave parameters out)."""
    check_extra_vars(extra_vars)
    procedure = load_catalog().get(procedure_id)
    for name, value in sorted(play_params(extra_vars).items()):
        spec = procedure.param(name)
        if spec is None:
            raise GateRefused(
                _("sop_params.{name}: procedure {id} has no such parameter").format(
                    name=name, id=procedure.id
                )
            )
        check(spec, value)


def _compare_params(
    request: Request, procedure: Procedure, given: dict[str, Any], hosts: Any
) -> None:
    """Given the play's sop_params, raise GateRefused unless they are the request's
    parameters, which still fit the procedure's schema."""
    try:
        typed = validate(procedure, request.params, hosts=hosts, with_derived=True)
    except SopError as error:
        raise GateRefused(
            _(
                "request {id}: its parameters no longer fit procedure {procedure} "
                "({error}); make a new request"
            ).format(id=request.id, procedure=procedure.id, error=error)
        ) from None
    if audit.canonical(typed) != audit.canonical(request.params):
        raise GateRefused(
            _(
                "request {id}: its parameters no longer fit procedure {procedure}; "
                "make a new request"
            ).format(id=request.id, procedure=procedure.id)
        )
    for key in sorted(set(given) | set(request.params)):
        if key not in request.params:
            raise GateRefused(
                _("sop_params.{key} is not fixed by request {id}").format(key=key, id=request.id)
            )
        if key not in given:
            raise GateRefused(
                _("sop_params.{key} is missing; request {id} fixes it ({fixed!r})").format(
                    key=key, id=request.id, fixed=request.params[key]
                )
            )
        if audit.canonical(given[key]) != audit.canonical(request.params[key]):
            raise GateRefused(
                _("sop_params.{key} is {given!r} here but {fixed!r} in request {id}").format(
                    key=key, given=given[key], fixed=request.params[key], id=request.id
                )
            )


def _compare_derived(request: Request, procedure: Procedure, derived: Mapping[str, Any]) -> None:
    """Given what the play computed itself (e.g. 3.1's config_digest from the repository),
    raise GateRefused unless each value is what the request fixed."""
    for key, value in sorted(derived.items()):
        spec = procedure.param(key)
        if spec is None or not spec.derived:
            raise GateRefused(
                _("derived: {key!r} is no derived parameter of {procedure}").format(
                    key=key, procedure=procedure.id
                )
            )
        if not _same(data(value), request.params.get(key)):
            raise GateRefused(
                _(
                    "{key} is {given!r} here (computed by the play) but {fixed!r} in request {id}"
                ).format(key=key, given=data(value), fixed=request.params.get(key), id=request.id)
            )


def _before_first_gate(procedure: Procedure, step: int) -> None:
    """Given a step a play says only reads, raise GateRefused unless it comes before
    the procedure's first gate (steps after it need their approvals)."""
    first = min((s.number for s in procedure.gates), default=None)
    if first is None or step >= first:
        raise GateRefused(
            _(
                "read_only: step {step} of {procedure} is not before its first gate; "
                "it runs only with its approvals"
            ).format(step=step, procedure=procedure.id)
        )


def _operator_of_this_account(ctx: Context) -> str:
    from sop_runner.trust.registry import current_unix_user

    user = current_unix_user()
    found = ctx.registry.by_unix_user(user)
    return found.name if found is not None else f"unix:{user}"


def check_play(
    ctx: Context,
    request_id: Any,
    procedure_id: str,
    step: int,
    play_hosts: list[str],
    extra_vars: Mapping[str, Any],
    playbook: str,
    *,
    read_only: bool = False,
    derived: Mapping[str, Any] | None = None,
    check_mode: bool = False,
) -> dict[str, Any]:
    """Given what a play is about to do, return the request that covers it.

    Raise GateRefused (with an audit entry) unless request ``request_id`` covers
    it (see the module's docstring); SopError if there is no such request.
    """
    try:
        request_number = int(str(request_id))
    except (TypeError, ValueError):
        raise GateRefused(
            _("sop_request: {value!r} is not a request id (a number)").format(value=request_id)
        ) from None
    procedure = ctx.catalog.get(procedure_id)
    origin = awx_origin(extra_vars)
    # The registry (and its history) first: a registry that does not verify stops the gate.
    trusted = ctx.trusted
    with ctx.session() as session:
        request = get_request(session, request_number)
        try:
            check_extra_vars(extra_vars)
            if read_only:
                _before_first_gate(procedure, step)
            if request.procedure_id != procedure.id:
                raise GateRefused(
                    _(
                        "request {id} is for procedure {other}, "
                        "this playbook is procedure {procedure}"
                    ).format(id=request.id, other=request.procedure_id, procedure=procedure.id)
                )
            if sorted(play_hosts) != sorted(request.targets):
                raise GateRefused(
                    _("request {id} covers hosts {hosts}; this play targets {play}").format(
                        id=request.id,
                        hosts=", ".join(request.targets),
                        play=", ".join(sorted(play_hosts)) or _("no host"),
                    )
                )
            # A play given no sop_params (an AWX job whose survey asks the request alone)
            # runs with the request's own, approved parameters (the gate hands them over).
            given = play_params(extra_vars) if "sop_params" in extra_vars else request.params
            _compare_params(request, procedure, dict(given), ctx.inventory.hosts)
            _compare_derived(request, procedure, derived or {})
            gates.assert_request_signed(request, trusted)
            the_impact = impact.analyse(procedure, ctx.inventory, request.targets, request.params)
            gates.assert_impact_fixed(request, procedure, the_impact)
            claims.assert_not_closed(request)
            run_id = None
            if not read_only:
                longest = gates.longest_approval(procedure, ctx.settings.trust.approval_max)
                states = gates.gate_states(
                    session, request, procedure, the_impact, trusted, longest=longest
                )
                gates.assert_open(states, request, step)
                if not check_mode:  # a check run changes nothing: it uses up nothing
                    sop_run = extra_vars.get("sop_run")
                    run_id = claims.gated_step(
                        session,
                        request.id,
                        step,
                        data(sop_run) if sop_run is not None else None,
                        _operator_of_this_account(ctx),
                        playbook,
                        origin,
                    )
        except SopError as refusal:
            session.rollback()  # nothing claimed; the refusal alone is written
            audit.append(
                session,
                _gate_actor(origin),
                "gate.refused",
                f"request/{request_number}",
                {
                    "playbook": playbook,
                    "step": step,
                    "hosts": sorted(play_hosts),
                    "why": str(refusal),
                    **origin,
                },
            )
            session.commit()
            raise
        audit.append(
            session,
            _gate_actor(origin),
            "gate.passed",
            f"request/{request.id}",
            {
                "playbook": playbook,
                "step": step,
                "hosts": sorted(play_hosts),
                "read_only": read_only,
                "run": run_id,
                # The run a plain play's gate made (claims.gated_step): its audit record.
                **({"outside_run": run_id} if run_id and "sop_run" not in extra_vars else {}),
                **origin,
            },
        )
        return {
            "request": request.id,
            "procedure": procedure.id,
            "step": step,
            "targets": request.targets,
            "run": run_id,
            "params": dict(request.params),
        }
