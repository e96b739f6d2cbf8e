"""SOP 1.1 receiving: a delivery at the loading dock, staging, the completeness check.

Step 1 stores the new hardware at the loading dock: a delivery (vendor, delivery
document, arrival time, packing list) and its devices, registered *received*.
Its Mutu Baku is 1 Hari: equipment still at the dock after a day is late, and
said so (``late``; `sop register delivery list`, the 1.1 run's note and a notice
through sop_runner/notify.py).  Step 2 moves it to the staging area (devices
*staged*).  Step 3 unpacks and checks it against the packing list: what was
found of each item, complete or not.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import places, service
from sop_runner.procedures.register.models import Delivery, Device, Room
from sop_runner.procedures.register.signing import Actor, actor_name, record

# Mutu Baku of SOP 1.1 step 1 ("1 Hari"): the longest equipment may wait at the dock.
DOCK_LIMIT = timedelta(days=1)


def _room_of_kind(session: Session, kind: str) -> Room | None:
    return session.scalars(select(Room).where(Room.kind == kind).order_by(Room.name)).first()


def packing_list(items: list[str]) -> list[dict[str, Any]]:
    """Given ``ITEM=QTY`` texts (QTY 1 when left out), return the packing list.

    Raise SopError naming the entry that is empty or whose quantity is not 1 or more.
    """
    result = []
    for text in items:
        name, sep, qty = text.partition("=")
        if not name.strip():
            raise SopError(
                _("--item: {text!r} is not allowed; give ITEM=QTY, e.g. 'server R650=2'").format(
                    text=text
                )
            )
        count = qty.strip() if sep else "1"
        if not count.isdigit() or int(count) < 1:
            raise SopError(
                _("--item: {text!r}: the quantity must be a whole number >= 1").format(text=text)
            )
        result.append({"item": name.strip(), "qty": int(count)})
    if not result:
        raise SopError(_("--item: the packing list is empty; give each item as ITEM=QTY"))
    return result


def receive(
    session: Session,
    actor: Actor,
    vendor: str,
    document: str,
    items: list[dict[str, Any]],
    devices: list[dict[str, Any]],
    arrived_at: datetime | None = None,
) -> Delivery:
    """Given a delivery's vendor, document, packing list and devices (``name`` and fields of
    ``service.FIELDS``), record it and register its devices *received* at the loading dock.

    Raise SopError when the vendor or document is empty or a device cannot be registered.
    """
    if not vendor.strip() or not document.strip():
        raise SopError(_("--vendor and --document: required (who delivered, the delivery note)"))
    now = datetime.now(UTC)
    if arrived_at is not None and (arrived_at.tzinfo is None or arrived_at > now):
        raise SopError(_("--arrived: a past time with its zone, e.g. 2026-06-01T09:00+07:00"))
    delivery = Delivery(
        vendor=vendor.strip(),
        document=document.strip(),
        arrived_at=arrived_at or now,
        received_by=actor_name(actor),
        packing_list=items,
    )
    session.add(delivery)
    session.flush()
    dock = _room_of_kind(session, "loading_dock")
    for entry in devices:
        fields = {k: v for k, v in entry.items() if k != "name"}
        fields.setdefault("vendor", vendor.strip())
        service.add_device(session, entry["name"], actor, status="received", **fields)
        row = service.get_device(session, entry["name"])
        assert row is not None
        row.delivery_id, row.room_id = delivery.id, dock.id if dock else None
    record(
        session,
        actor,
        "register.delivery",
        f"delivery/{delivery.id}",
        {
            "vendor": delivery.vendor,
            "document": delivery.document,
            "arrived_at": delivery.arrived_at.isoformat(),
            "packing_list": items,
            "devices": [d["name"] for d in devices],
        },
    )
    return delivery


def get_delivery(session: Session, delivery_id: int) -> Delivery:
    """Given a delivery's number, return it.  Raise SopError if there is none."""
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        raise SopError(
            _("delivery: {delivery} is not a recorded delivery").format(delivery=delivery_id)
        )
    return delivery


def late(delivery: Delivery, now: datetime | None = None) -> timedelta | None:
    """Given a delivery, return how long past its Mutu Baku (1 Hari) it waits at the dock
    (None when staged in time or still within the day)."""
    end = delivery.staged_at or now or datetime.now(UTC)
    over = end - delivery.arrived_at - DOCK_LIMIT
    return over if over > timedelta(0) else None


def devices_of(session: Session, delivery_id: int) -> list[Device]:
    """Given a delivery's number, return its devices by name."""
    query = select(Device).where(Device.delivery_id == delivery_id).order_by(Device.name)
    return list(session.scalars(query).all())


def stage(session: Session, delivery_id: int, actor: Actor, run_id: int | None = None) -> Delivery:
    """Given a delivery at the dock, move it to the staging area (its devices *staged*).

    Raise SopError when it was staged already.
    """
    delivery = get_delivery(session, delivery_id)
    if delivery.staged_at is not None:
        raise SopError(
            _("delivery {delivery}: already in the staging area").format(delivery=delivery_id)
        )
    delivery.staged_at = datetime.now(UTC)
    staging = _room_of_kind(session, "staging_area")
    for device in devices_of(session, delivery_id):
        service.change_status(session, device.name, "staged", actor, "ke area staging", run_id)
        if staging is not None:
            places.place_device(session, device.name, actor, room=staging.name)
    over = late(delivery)
    record(
        session,
        actor,
        "register.staged",
        f"delivery/{delivery_id}",
        {"late_seconds": int(over.total_seconds()) if over else 0, "run": run_id},
    )
    return delivery


def check(
    session: Session, delivery_id: int, found: dict[str, int], actor: Actor, note: str = ""
) -> list[dict[str, Any]]:
    """Given a staged delivery and the count found of each packing-list item, record the
    completeness check; return its rows ``{item, qty, found, ok}``.

    Raise SopError when the delivery is not staged yet or ``found`` names an item the
    packing list lacks.
    """
    delivery = get_delivery(session, delivery_id)
    if delivery.staged_at is None:
        raise SopError(
            _("delivery {delivery}: move it to the staging area first (step 2)").format(
                delivery=delivery_id
            )
        )
    listed = {entry["item"] for entry in delivery.packing_list}
    extra = sorted(set(found) - listed)
    if extra:
        raise SopError(
            _("--found: {item!r} is not on the packing list; items: {items}").format(
                item=extra[0], items=", ".join(sorted(listed))
            )
        )
    rows = [
        {
            **entry,
            "found": found.get(entry["item"], 0),
            "ok": found.get(entry["item"], 0) >= entry["qty"],
        }
        for entry in delivery.packing_list
    ]
    delivery.checked, delivery.checked_at = rows, datetime.now(UTC)
    delivery.complete = all(r["ok"] for r in rows)
    record(
        session,
        actor,
        "register.checked",
        f"delivery/{delivery_id}",
        {"rows": rows, "complete": delivery.complete, "note": note},
    )
    return rows


def delivery_dict(session: Session, delivery: Delivery, now: datetime | None = None) -> dict:
    """Given a delivery, return it as data: packing list, check, devices, lateness."""
    over = late(delivery, now)
    return {
        "id": delivery.id,
        "vendor": delivery.vendor,
        "document": delivery.document,
        "arrived_at": delivery.arrived_at.isoformat(),
        "received_by": delivery.received_by,
        "staged_at": delivery.staged_at.isoformat() if delivery.staged_at else None,
        "packing_list": delivery.packing_list,
        "checked": delivery.checked,
        "complete": delivery.complete,
        "devices": [d.name for d in devices_of(session, delivery.id)],
        "late_hours": round(over.total_seconds() / 3600, 1) if over else 0,
    }


def deliveries(session: Session) -> list[Delivery]:
    """Return every delivery, newest first."""
    return list(session.scalars(select(Delivery).order_by(Delivery.id.desc())).all())
