"""The gate as seen from inside a playbook (the sop_gate action plugin calls this)."""

from __future__ import annotations

from typing import Any

from sop_runner import audit, gates, impact
from sop_runner.context import Context
from sop_runner.errors import GateRefused, SopError
from sop_runner.requests import get_request, parse_value


def _same(play_value: Any, request_value: Any) -> bool:
    # `-e key=30` hands the play the string "30"; read it the way `sop request`
    # read the request's "30", so both sides compare as the same value.
    if isinstance(play_value, str):
        try:
            play_value = parse_value(play_value)
        except SopError:
            return False
    return audit.canonical(play_value) == audit.canonical(request_value)


def check_play(
    ctx: Context,
    request_id: Any,
    procedure_id: str,
    step: int,
    play_hosts: list[str],
    params: dict[str, Any],
    playbook: str,
) -> dict[str, Any]:
    """Given what a play is about to do, return the approved request that covers it.

    Raise GateRefused (with an audit entry) unless request ``request_id`` is
    for this procedure, names exactly these hosts and these parameter
    values, and every gate up to ``step`` has a valid approval.
    """
    try:
        request_number = int(request_id)
    except (TypeError, ValueError):
        raise GateRefused(f"sop_request: {request_id!r} is not a request id (a number)") from None
    procedure = ctx.catalog.get(procedure_id)
    # The registry (and its history) first: a registry that does not verify stops the gate.
    trusted = ctx.trusted
    with ctx.session() as session:
        request = get_request(session, request_number)
        try:
            if request.procedure_id != procedure.id:
                raise GateRefused(
                    f"request {request.id} is for procedure {request.procedure_id}, "
                    f"this playbook is procedure {procedure.id}"
                )
            if sorted(play_hosts) != sorted(request.targets):
                raise GateRefused(
                    f"request {request.id} covers hosts {', '.join(request.targets)}; "
                    f"this play targets {', '.join(sorted(play_hosts)) or 'no host'}"
                )
            for key, value in sorted(params.items()):
                if key not in request.params:
                    raise GateRefused(f"parameter {key!r} is not fixed by request {request.id}")
                if not _same(value, request.params[key]):
                    raise GateRefused(
                        f"parameter {key!r} is {value!r} here but {request.params[key]!r} "
                        f"in request {request.id}"
                    )
            gates.assert_request_signed(request, trusted)
            the_impact = impact.analyse(procedure, ctx.inventory, request.targets)
            states = gates.gate_states(session, request, procedure, the_impact, trusted)
            gates.assert_open(states, request, step)
        except SopError as refusal:
            audit.append(
                session,
                "ansible",
                "gate.refused",
                f"request/{request.id}",
                {
                    "playbook": playbook,
                    "step": step,
                    "hosts": sorted(play_hosts),
                    "why": str(refusal),
                },
            )
            session.commit()
            raise
        audit.append(
            session,
            "ansible",
            "gate.passed",
            f"request/{request.id}",
            {"playbook": playbook, "step": step, "hosts": sorted(play_hosts)},
        )
        return {
            "request": request.id,
            "procedure": procedure.id,
            "step": step,
            "targets": request.targets,
        }
