"""Buku daftar perangkat Pusat Data: the device register, with its status history.

A device is never deleted: removing it from the register (SOP 5.1 step 6) is
a status change (active → decommissioning → offline → disposed) with an
entry in the history table and in the audit trail.  SOP 1.x adds devices as
*received*; SOP 5.1 takes them out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.features import Command, Feature
from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime

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


class Device(Base):
    """One device of the register (Buku daftar perangkat)."""

    __tablename__ = "register_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    asset_number: Mapped[str] = mapped_column(String(64), default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    function: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")


class DeviceStatusChange(Base):
    """One status change of a device: from, to, when, by whom, in which run, why."""

    __tablename__ = "register_status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("register_devices.id"))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class DeviceSpecChange(Base):
    """The hardware specification of a device at one moment (SOP 4.1 step 8), kept as history."""

    __tablename__ = "register_spec_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("register_devices.id"))
    phase: Mapped[str] = mapped_column(String(16))  # before | after (an upgrade) | current
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


# A device's history table: status changes or specification changes.
Entry = TypeVar("Entry", DeviceStatusChange, DeviceSpecChange)


def get_device(session: Session, name: str) -> Device | None:
    """Given a device name, return its register row (None when not registered)."""
    return session.scalars(select(Device).where(Device.name == name)).first()


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
    """Given a new device's data, register it with a first history entry; return the row."""
    if not name.strip():
        raise SopError("name: empty; give the device's name (as in the inventory)")
    if status not in STATUSES:
        raise SopError(f"--status: {status!r} is not allowed; use one of {', '.join(STATUSES)}")
    if get_device(session, name) is not None:
        raise SopError(f"register: {name!r} is already registered; change its status instead")
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
            raise SopError(f"register: {name!r} is not registered; `sop register add` it first")
        device = add_device(
            session, name, actor, status="unregistered", notes="found only at dismantling"
        )
    if device.status == to_status:
        return None
    if to_status not in TRANSITIONS.get(device.status, ()):
        allowed = ", ".join(TRANSITIONS.get(device.status, ())) or "none (final)"
        raise SopError(
            f"register: {name} is {device.status}; it can go to {allowed}, not {to_status}"
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
    path = ("active", "decommissioning", "offline", "disposed")
    device = get_device(session, name)
    current = device.status if device else "unregistered"
    start = path.index(current) + 1 if current in path else 1
    changes = []
    for status in path[start : path.index(to_status) + 1]:
        change = change_status(session, name, status, actor, note, run_id, register_missing=True)
        if change is not None:
            changes.append(change)
    return changes


def _entries(session: Session, name: str, model: type[Entry]) -> list[Entry]:
    """Given a device name and a history table, return the device's rows, oldest first."""
    device = get_device(session, name)
    if device is None:
        raise SopError(f"register: {name!r} is not registered")
    query = select(model).where(model.device_id == device.id).order_by(model.id)
    return list(session.scalars(query).all())


def history(session: Session, name: str) -> list[DeviceStatusChange]:
    """Given a device name, return its status history, oldest first."""
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
    device = get_device(session, name)
    if device is None:
        raise SopError(f"register: {name!r} is not registered; `sop register add` it first")
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
    """Given a device name, return its hardware specification history, oldest first."""
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


# --- `sop register ...` --------------------------------------------------------

cli = typer.Typer(help="Buku daftar perangkat (device register) and its status history.")
cli_name = "register"
_out = Console(soft_wrap=True)


def _actor(as_: str | None) -> str:
    import os

    from sop_runner.operators import get_operator

    return get_operator(Context().operators, as_ or os.environ.get("SOP_OPERATOR")).name


@cli.command("add")
def add_command(
    name: str,
    asset: Annotated[str, typer.Option("--asset", help="asset (property) number")] = "",
    owner: Annotated[str, typer.Option(help="owning unit (OPD)")] = "",
    function: Annotated[str, typer.Option(help="what the device does")] = "",
    status: Annotated[str, typer.Option(help="first status")] = "active",
    as_: Annotated[str | None, typer.Option("--as", help="operator")] = None,
) -> None:
    """Register a device."""
    actor = _actor(as_)
    with Context().session() as session:
        add_device(session, name, actor, asset, owner, function, status)
    _out.print(f"registered {name} ({status})")


@cli.command("list")
def list_command() -> None:
    """List the register, every status included (nothing is ever deleted)."""
    table = Table("name", "asset", "owner", "function", "status")
    with Context().session() as session:
        for device in session.scalars(select(Device).order_by(Device.name)).all():
            table.add_row(
                device.name, device.asset_number, device.owner, device.function, device.status
            )
    _out.print(table)


@cli.command("history")
def history_command(name: str) -> None:
    """Show a device's status history, one change a line (from → to, when, by, run, note)."""
    with Context().session() as session:
        for change in history(session, name):
            run = f" run {change.run_id}" if change.run_id else ""
            _out.print(
                f"{change.changed_at:%Y-%m-%d %H:%M:%S} {change.from_status or '—'} → "
                f"{change.to_status} by {change.changed_by}{run}: {change.note}",
                markup=False,
                highlight=False,
            )


FEATURE = Feature(
    name="register",
    tables=(Device, DeviceStatusChange, DeviceSpecChange),
    commands={cli_name: Command(help=cli.info.help or "", load=lambda: cli)},
)
