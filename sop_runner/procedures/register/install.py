"""SOP 1.2 from the register: step 2's resource check decides the branch, step 4 registers.

A 1.2 request that names the ``device`` (received by 1.1, in the register) and
where it goes (``rack``, ``feed``; ``switch`` and ``prefix`` when it needs a
port and an address) has its step 2 computed: enough free contiguous U, power
within the feed's derated budget, a free port, a free address → *tersedia*;
anything short → *tidak_tersedia*, step 3 carries the shortfalls as the
analysis report and the run ends **ditunda** with nothing registered.  Step 4
checks again (the register may have moved since) and writes the entry: rack
and U, feed, the address on the device's interface, the cable to the switch
port, status *active*.  A request without ``device`` stays a person's choice.
"""

from __future__ import annotations

from typing import Any

from sop_runner.errors import SopError
from sop_runner.features import StepOutcome
from sop_runner.i18n import _
from sop_runner.procedures.register import capacity, network, places, service, views

PARAMS = ("device", "rack", "feed", "switch", "prefix")


def _check(session: Any, params: dict[str, Any]) -> capacity.ResourceCheck:
    return capacity.check_resources(
        session,
        params["device"],
        params["rack"],
        params["feed"],
        params.get("switch"),
        params.get("prefix"),
    )


def check_params(ctx: Any, targets: list[str], params: dict[str, Any]) -> None:
    """Given a 1.2 request's parameters, raise SopError when ``device`` is given without
    ``rack`` and ``feed``, or names what the register does not have (nothing written)."""
    if "device" not in params:
        return
    for name in ("rack", "feed"):
        if not params.get(name):
            raise SopError(
                _("--param {name}: required with device (where it is installed)").format(name=name)
            )
    with ctx.session() as session:
        _check(session, params)


def resources(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.2 run at step 2, return the branch the register decides and why."""
    if "device" not in request.params:
        return None
    with ctx.session() as session:
        found = _check(session, request.params)
    choice = "tersedia" if found.ok else "tidak_tersedia"
    return StepOutcome(choice, views.check_text(found), {"resources": found.as_dict()})


def postponement(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.2 run at step 3, return the analysis report's words: what is short."""
    if "device" not in request.params:
        return None
    with ctx.session() as session:
        found = _check(session, request.params)
    text = "Instalasi ditunda; sumber daya tidak cukup: " + "; ".join(found.short or ["—"])
    return StepOutcome(None, text, {"short": found.short})


def register_entry(
    ctx: Any, request: Any, run_id: int, number: int, operator: str
) -> StepOutcome | None:
    """Given a 1.2 run at step 4, write the device's entry (once); return what was written.

    Raise SopError (the run waits) when the resources are no longer there.
    """
    params = request.params
    if "device" not in params:
        return None
    name = params["device"]
    with ctx.session() as session:
        device = service.get_device(session, name)
        if device is not None and device.status == "active" and device.rack_id is not None:
            return StepOutcome(None, f"{name} sudah tercatat", {"registered": name})
        found = _check(session, params)
        if not found.ok:
            raise SopError(
                _(
                    "step 4: the resources checked at step 2 are gone: {short}; "
                    "check again (`sop register check`) and make a new request"
                ).format(short="; ".join(found.short))
            )
        places.place_device(
            session, name, operator, rack=found.rack, position=found.position, feed=found.feed
        )
        interface = params.get("interface") or "eth0"
        if found.address:
            network.assign_address(session, found.address, name, interface, operator)
        if found.switch and found.port:
            label = f"{name}-{interface}"
            network.add_cable(
                session, label, (name, interface), (found.switch, found.port), operator
            )
        service.change_status(session, name, "active", operator, "terpasang (SOP 1.2)", run_id)
    where = f"{found.rack} U{found.position}, {found.feed}"
    extra = ", ".join(
        x for x in (found.address, found.port and f"{found.switch} {found.port}") if x
    )
    return StepOutcome(
        None,
        f"{name} tercatat di buku daftar perangkat: {where}" + (f", {extra}" if extra else ""),
        {"registered": name, "resources": found.as_dict()},
    )
