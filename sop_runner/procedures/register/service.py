"""The register's actions: add a device, move it along its statuses, keep its specifications.

A device is never deleted: removing it from the register (SOP 5.1 step 6) is a
status change with an entry in the history table and in the audit trail.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.errors import SopError
from sop_runner.i18n import N_, _
from sop_runner.procedures.register.models import Device, DeviceSpecChange, DeviceStatusChange

STATUSES = ("received", "active", "decommissioning", "offline", "disposed", "unregistered")
# Where a status may go next; "unregistered" stands for a device found only at dismantling.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("active", "disposed"),
    "active": ("decommissioning",),
    "unregistered": ("active", "decommissioning"),
    "decommissioning": ("offline", "active"),
    "offline": ("disposed", "active"),
    "disposed": (),
}
# The way out of the register (SOP 5.1), walked one status at a time by advance_to.
DISMANTLE_PATH = ("active", "decommissioning", "offline", "disposed")
_ADD_IT_FIRST = N_("; `sop register add` it first")

# A device's history table: status changes or specification changes.
Entry = TypeVar("Entry", DeviceStatusChange, DeviceSpecChange)


def get_device(session: Session, name: str) -> Device | None:
    """Given a device name, return its register row (None when not registered)."""
    return session.scalars(select(Device).where(Device.name == name)).first()


def devices(session: Session) -> list[Device]:
    """Return every device of the register by name, whatever its status."""
    return list(session.scalars(select(Device).order_by(Device.name)).all())


def _registered(session: Session, name: str, hint: str = "") -> Device:
    """Given a device name, return its row.  Raise SopError if it is not registered."""
    device = get_device(session, name)
    if device is None:
        raise SopError(
            _("register: {name!r} is not registered{hint}").format(
                name=name, hint=_(hint) if hint else ""
            )
        )
    return device


def add_device(
    session: Session,
    name: str,
    actor: str,
    asset_number: str = "",
    owner: str = "",
    function: str = "",
    status: str = "active",
    notes: str = "",
    run_id: int | None = None,
) -> Device:
    """Given a new device's data, register it with a first history entry; return the row.

    Raise SopError if the name is empty, the status unknown or the device already there.
    """
    if not name.strip():
        raise SopError(_("name: empty; give the device's name (as in the inventory)"))
    if status not in STATUSES:
        raise SopError(
            _("--status: {status!r} is not allowed; use one of {allowed}").format(
                status=status, allowed=", ".join(STATUSES)
            )
        )
    if get_device(session, name) is not None:
        raise SopError(
            _("register: {name!r} is already registered; change its status instead").format(
                name=name
            )
        )
    device = Device(
        name=name,
        asset_number=asset_number,
        owner=owner,
        function=function,
        status=status,
        notes=notes,
    )
    session.add(device)
    session.flush()
    _history(session, device, None, status, actor, run_id, "registered")
    audit.append(
        session,
        actor,
        "register.added",
        f"device/{name}",
        {"asset_number": asset_number, "owner": owner, "status": status},
    )
    return device


def change_status(
    session: Session,
    name: str,
    to_status: str,
    actor: str,
    note: str = "",
    run_id: int | None = None,
    register_missing: bool = False,
) -> DeviceStatusChange | None:
    """Given a device and a new status, record the change; return it (None if already there).

    Raise SopError when the device is unknown (unless ``register_missing``, which
    registers it as *unregistered* first, visibly) or the transition is not allowed.
    """
    device = get_device(session, name)
    if device is None:
        if not register_missing:
            raise SopError(
                _("register: {name!r} is not registered{hint}").format(
                    name=name, hint=_(_ADD_IT_FIRST)
                )
            )
        device = add_device(
            session, name, actor, status="unregistered", notes="found only at dismantling"
        )
    if device.status == to_status:
        return None
    if to_status not in TRANSITIONS.get(device.status, ()):
        allowed = ", ".join(TRANSITIONS.get(device.status, ())) or _("none (final)")
        raise SopError(
            _("register: {name} is {status}; it can go to {allowed}, not {to_status}").format(
                name=name, status=device.status, allowed=allowed, to_status=to_status
            )
        )
    previous = device.status
    device.status = to_status
    change = _history(session, device, previous, to_status, actor, run_id, note)
    audit.append(
        session,
        actor,
        "register.status",
        f"device/{name}",
        {"from": previous, "to": to_status, "run": run_id, "note": note},
    )
    return change


def advance_to(
    session: Session, name: str, to_status: str, actor: str, note: str, run_id: int | None
) -> list[DeviceStatusChange]:
    """Given a target status along active → decommissioning → offline → disposed, walk there.

    Each intermediate status gets its own history entry, so no step is skipped silently.
    """
    device = get_device(session, name)
    current = device.status if device else "unregistered"
    start = DISMANTLE_PATH.index(current) + 1 if current in DISMANTLE_PATH else 1
    changes = []
    for status in DISMANTLE_PATH[start : DISMANTLE_PATH.index(to_status) + 1]:
        change = change_status(session, name, status, actor, note, run_id, register_missing=True)
        if change is not None:
            changes.append(change)
    return changes


def _entries(session: Session, name: str, model: type[Entry]) -> list[Entry]:
    """Given a device name and a history table, return the device's rows, oldest first."""
    device = _registered(session, name)
    query = select(model).where(model.device_id == device.id).order_by(model.id)
    return list(session.scalars(query).all())


def history(session: Session, name: str) -> list[DeviceStatusChange]:
    """Given a device name, return its status history, oldest first.

    Raise SopError if the device is not registered.
    """
    return _entries(session, name, DeviceStatusChange)


def record_spec(
    session: Session,
    name: str,
    spec: dict[str, Any],
    actor: str,
    phase: str = "current",
    note: str = "",
    run_id: int | None = None,
) -> DeviceSpecChange:
    """Given a registered device and its hardware specification, add it to the spec history.

    Raise SopError when the device is not registered.  Nothing is overwritten: the
    register's current specification is the newest entry.
    """
    device = _registered(session, name, _ADD_IT_FIRST)
    entry = DeviceSpecChange(
        device_id=device.id,
        phase=phase,
        spec=spec,
        recorded_at=datetime.now(UTC),
        recorded_by=actor,
        run_id=run_id,
        note=note,
    )
    session.add(entry)
    session.flush()
    audit.append(
        session,
        actor,
        "register.spec",
        f"device/{name}",
        {"phase": phase, "spec": spec, "run": run_id, "note": note},
    )
    return entry


def spec_history(session: Session, name: str) -> list[DeviceSpecChange]:
    """Given a device name, return its hardware specification history, oldest first.

    Raise SopError if the device is not registered.
    """
    return _entries(session, name, DeviceSpecChange)


def _history(
    session: Session,
    device: Device,
    from_status: str | None,
    to_status: str,
    actor: str,
    run_id: int | None,
    note: str,
) -> DeviceStatusChange:
    change = DeviceStatusChange(
        device_id=device.id,
        from_status=from_status,
        to_status=to_status,
        changed_at=datetime.now(UTC),
        changed_by=actor,
        run_id=run_id,
        note=note,
    )
    session.add(change)
    session.flush()
    return change
