"""The register as data: one device, or the whole register, as JSON-able mappings.

What `sop register list --json`, the inventory plugin, the labels and the schema
read; nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.procedures.register.models import Device, DeviceSpecChange, Interface, SiteRow
from sop_runner.procedures.register.network import addresses, cables, prefixes
from sop_runner.procedures.register.places import (
    DEFAULT_SITE,
    DEFAULT_SITE_TITLE,
    device_place,
    feeds,
    racks,
    rooms,
)

SCHEMA = "sop.register/2"


def device_dict(session: Session, device: Device) -> dict[str, Any]:
    """Given a device row, return it with its place, interfaces, addresses and newest spec."""
    spec = session.scalars(
        select(DeviceSpecChange)
        .where(DeviceSpecChange.device_id == device.id)
        .order_by(DeviceSpecChange.id.desc())
    ).first()
    ports = session.scalars(
        select(Interface).where(Interface.device_id == device.id).order_by(Interface.id)
    ).all()
    ips = addresses(session, device.name)
    return {
        "name": device.name,
        "code": device.code,
        "asset": device.asset_number,
        "owner": device.owner,
        "function": device.function,
        "notes": device.notes,
        "kind": device.kind,
        "vendor": device.vendor,
        "model": device.model,
        "serial": device.serial,
        "status": device.status,
        "u_height": device.u_height,
        "power_w": device.power_w,
        **device_place(session, device),
        "interfaces": [{"name": p.name, "mac": p.mac, "type": p.type} for p in ports],
        "addresses": [
            {"address": r.address, "interface": i, "dns_name": r.dns_name} for r, _, i in ips
        ],
        "spec": spec.spec if spec else {},
    }


def register_dict(session: Session) -> dict[str, Any]:
    """Return the whole register: site, rooms, racks, feeds, devices, prefixes, cables."""
    from sop_runner.procedures.register.capacity import feed_budget, feed_load

    here = session.scalars(select(SiteRow).order_by(SiteRow.id)).first()
    room_names = {r.id: r.name for r in rooms(session)}
    return {
        "schema": SCHEMA,
        "site": {
            "name": here.name if here else DEFAULT_SITE,
            "title": here.title if here else DEFAULT_SITE_TITLE,
        },
        "rooms": [{"name": r.name, "title": r.title, "kind": r.kind} for r in rooms(session)],
        "racks": [
            {"name": r.name, "room": room_names.get(r.room_id), "u_height": r.u_height}
            for r in racks(session)
        ],
        "feeds": [
            {
                "name": f.name,
                "rating_w": f.rating_w,
                "derating_pct": f.derating_pct,
                "budget_w": feed_budget(f),
                "load_w": feed_load(session, f),
            }
            for f in feeds(session)
        ],
        "devices": [
            device_dict(session, d) for d in session.scalars(select(Device).order_by(Device.name))
        ],
        "prefixes": [{"prefix": p.prefix, "description": p.description} for p in prefixes(session)],
        "cables": cables(session),
    }


def check_text(found: Any) -> str:
    """Given a ResourceCheck, return it in words (Indonesian), one resource a line."""
    lines = [
        f"Pemeriksaan sumber daya untuk {found.device}:",
        f"- rack {found.rack}: {found.u_needed}U "
        + (f"tersedia mulai U{found.position}" if found.position else "tidak tersedia"),
        f"- catu daya {found.feed}: {found.power_used_w} W terpakai + {found.power_needed_w} W "
        f"dari anggaran {found.power_budget_w} W ({found.derating_pct} %)",
    ]
    if found.switch:
        lines.append(f"- switch {found.switch}: port {found.port or 'tidak tersedia'}")
    if found.prefix:
        lines.append(f"- prefix {found.prefix}: alamat {found.address or 'tidak tersedia'}")
    lines.append(
        "Hasil: " + ("tersedia" if found.ok else "TIDAK tersedia — " + "; ".join(found.short))
    )
    return "\n".join(lines)
