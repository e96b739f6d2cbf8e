"""The register's devices: add one, move it along its statuses, keep its specifications.

A device is never deleted: removing it from the register (SOP 5.1 step 6) is a
status change with an entry in the history table and in the audit trail.  Every
change is an audit entry, signed when a person makes it (``signing.record``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import N_, _
from sop_runner.procedures.register.models import Device, DeviceSpecChange, DeviceStatusChange
from sop_runner.procedures.register.signing import Actor, actor_name, record

STATUSES = (
    "received",
    "staged",
    "active",
    "decommissioning",
    "offline",
    "disposed",
    "unregistered",
)
# Where a status may go next; "unregistered" stands for a device found only at dismantling.
# received (1.1 at the dock) → staged (1.1 step 2) → active (1.2/1.4 installed) → out (5.1).
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "received": ("staged", "active", "disposed"),
    "staged": ("active", "disposed"),
    "active": ("decommissioning",),
    "unregistered": ("active", "decommissioning"),
    "decommissioning": ("offline", "active"),
    "offline": ("disposed", "active"),
    "disposed": (),
}
# The supporting facilities of SOP 1.4 are devices of these kinds.
FACILITY_KINDS = (
    "power",  # catu daya: UPS, genset, panel, ATS
    "ac",  # pengatur dan pengukur pendingin ruangan
    "humidity",  # pengatur dan pengukur kelembaban
    "fire_detection",
    "fire_suppression",
    "cctv",
    "access_lock",  # finger/face lock
    "lighting",
)
KINDS = (
    "server",
    "switch",
    "router",
    "firewall",
    "storage",
    "pdu",
    "patch_panel",
    "other",
    *FACILITY_KINDS,
)
# The fields a device has besides its name and status, as `add_device` takes them.
FIELDS = (
    "code",
    "asset_number",
    "owner",
    "function",
    "notes",
    "kind",
    "vendor",
    "model",
    "serial",
    "u_height",
    "power_w",
)
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
        raise SopError(_("register: {name!r} is not registered{hint}").format(name=name, hint=hint))
    return device


def add_device(
    session: Session,
    name: str,
    actor: Actor,
    asset_number: str = "",
    owner: str = "",
    function: str = "",
    status: str = "active",
    notes: str = "",
    run_id: int | None = None,
    **fields: Any,
) -> Device:
    """Given a new device's data, register it with a first history entry; return the row.

    ``fields`` are more of ``FIELDS`` (code, kind, vendor, model, serial, u_height,
    power_w).  Raise SopError if the name is empty, the status or kind unknown, a
    number negative, or the name or code already registered.
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
    values = _checked_fields(
        session,
        {"asset_number": asset_number, "owner": owner, "function": function, "notes": notes}
        | fields,
    )
    device = Device(name=name, status=status, **values)
    session.add(device)
    session.flush()
    _history(session, device, None, status, actor_name(actor), run_id, "registered")
    record(
        session,
        actor,
        "register.added",
        f"device/{name}",
        {"status": status, "run": run_id, **{k: v for k, v in values.items() if v}},
    )
    return device


def update_device(session: Session, name: str, actor: Actor, **fields: Any) -> dict[str, Any]:
    """Given a registered device and new values of some ``FIELDS``, change them; return
    ``{field: [old, new]}`` of what changed (nothing written when nothing did).

    Raise SopError if the device is not registered or a value is not allowed.
    """
    device = _registered(session, name, _(_ADD_IT_FIRST))
    values = _checked_fields(session, fields, device)
    changed = {k: [getattr(device, k), v] for k, v in values.items() if getattr(device, k) != v}
    if not changed:
        return {}
    for key, (_old, new) in changed.items():
        setattr(device, key, new)
    record(session, actor, "register.updated", f"device/{name}", {"changed": changed})
    return changed


def _checked_fields(
    session: Session, fields: dict[str, Any], device: Device | None = None
) -> dict[str, Any]:
    """Given device fields, return them typed.  Raise SopError naming a field not allowed."""
    unknown = sorted(set(fields) - set(FIELDS))
    if unknown:
        raise SopError(
            _("{field}: not a device field; allowed: {allowed}").format(
                field=unknown[0], allowed=", ".join(FIELDS)
            )
        )
    values: dict[str, Any] = {}
    for key, value in fields.items():
        if key in ("u_height", "power_w"):
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise SopError(
                    _("--{option}: {value!r} is not allowed; a whole number >= 0").format(
                        option=key.replace("_", "-"), value=value
                    )
                )
            values[key] = value
        elif key == "code":
            values[key] = str(value).strip() or None
        else:
            values[key] = str(value).strip()
    if "kind" in values and values["kind"] not in KINDS:
        raise SopError(
            _("--kind: {kind!r} is not allowed; use one of {allowed}").format(
                kind=values["kind"], allowed=", ".join(KINDS)
            )
        )
    code = values.get("code")
    if code:
        other = session.scalars(select(Device).where(Device.code == code)).first()
        if other is not None and other is not device:
            raise SopError(
                _("--code: {code!r} is already the code of {device}").format(
                    code=code, device=other.name
                )
            )
    return values


def change_status(
    session: Session,
    name: str,
    to_status: str,
    actor: Actor,
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
    change = _history(session, device, previous, to_status, actor_name(actor), run_id, note)
    record(
        session,
        actor,
        "register.status",
        f"device/{name}",
        {"from": previous, "to": to_status, "run": run_id, "note": note},
    )
    return change


def advance_to(
    session: Session, name: str, to_status: str, actor: Actor, note: str, run_id: int | None
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
    actor: Actor,
    phase: str = "current",
    note: str = "",
    run_id: int | None = None,
) -> DeviceSpecChange:
    """Given a registered device and its hardware specification, add it to the spec history.

    Raise SopError when the device is not registered.  Nothing is overwritten: the
    register's current specification is the newest entry.
    """
    device = _registered(session, name, _(_ADD_IT_FIRST))
    entry = DeviceSpecChange(
        device_id=device.id,
        phase=phase,
        spec=spec,
        recorded_at=datetime.now(UTC),
        recorded_by=actor_name(actor),
        run_id=run_id,
        note=note,
    )
    session.add(entry)
    session.flush()
    record(
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
    actor: Actor,
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
