"""The register as CSV in the shape NetBox's bulk import takes, and devices back from it.

A site that adopts NetBox later imports these files in this order (DCIM →
Import of each object type): locations, racks, devices, interfaces, prefixes,
ip-addresses, cables.  Columns are NetBox's import field names; what NetBox has
no field for goes into custom fields (``cf_…``) that must exist there first:
``cf_code`` (text), ``cf_u_height`` and ``cf_power_w`` (integer),
``cf_power_feed`` and ``cf_sop_status`` (text).  docs/registers.md lists them.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import places, service, views

# Our statuses → NetBox's device status choices (the exact one is kept in cf_sop_status).
NETBOX_STATUS = {
    "received": "inventory",
    "staged": "staged",
    "active": "active",
    "decommissioning": "decommissioning",
    "offline": "offline",
    "disposed": "offline",
    "unregistered": "active",
}
DEVICE_COLUMNS = (
    "name",
    "role",
    "tenant",
    "manufacturer",
    "device_type",
    "serial",
    "asset_tag",
    "site",
    "location",
    "rack",
    "position",
    "face",
    "status",
    "description",
    "comments",
    "cf_code",
    "cf_u_height",
    "cf_power_w",
    "cf_power_feed",
    "cf_sop_status",
)
TABLES = ("locations", "racks", "devices", "interfaces", "prefixes", "ip-addresses", "cables")


def _csv(columns: tuple[str, ...], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row[k] for k in columns})
    return buffer.getvalue()


def export(session: Session) -> dict[str, str]:
    """Return the register as NetBox import CSV texts, by object type (``TABLES``)."""
    whole = views.register_dict(session)
    site = whole["site"]["name"]
    room_of = {r["name"]: r for r in whole["rooms"]}
    devices = [
        {
            "name": d["name"],
            "role": d["kind"],
            "tenant": d["owner"],
            "manufacturer": d["vendor"],
            "device_type": d["model"],
            "serial": d["serial"],
            "asset_tag": d["asset"],
            "site": site,
            "location": d["room"],
            "rack": d["rack"],
            "position": d["position"],
            "face": "front" if d["position"] else "",
            "status": NETBOX_STATUS.get(d["status"], "active"),
            "description": d["function"],
            "comments": d["notes"],
            "cf_code": d["code"],
            "cf_u_height": d["u_height"],
            "cf_power_w": d["power_w"],
            "cf_power_feed": d["feed"],
            "cf_sop_status": d["status"],
        }
        for d in whole["devices"]
    ]
    interfaces = [
        {"device": d["name"], "name": i["name"], "type": i["type"], "mac_address": i["mac"]}
        for d in whole["devices"]
        for i in d["interfaces"]
    ]
    addresses = [
        {
            "address": a["address"],
            "status": "active",
            "device": d["name"],
            "interface": a["interface"],
            "dns_name": a["dns_name"],
        }
        for d in whole["devices"]
        for a in d["addresses"]
    ]
    cables = [
        {
            "side_a_device": c["a_device"],
            "side_a_type": "dcim.interface",
            "side_a_name": c["a_interface"],
            "side_b_device": c["b_device"],
            "side_b_type": "dcim.interface",
            "side_b_name": c["b_interface"],
            "type": c["type"],
            "status": "connected",
            "label": c["label"],
            "length": c["length"],
            "length_unit": "m" if c["length"] is not None else "",
        }
        for c in whole["cables"]
    ]
    return {
        "locations": _csv(
            ("site", "name", "slug", "description"),
            [
                {"site": site, "name": r["name"], "slug": r["name"], "description": r["title"]}
                for r in room_of.values()
            ],
        ),
        "racks": _csv(
            ("site", "location", "name", "status", "u_height"),
            [
                {**r, "site": site, "location": r["room"], "status": "active"}
                for r in whole["racks"]
            ],
        ),
        "devices": _csv(DEVICE_COLUMNS, devices),
        "interfaces": _csv(("device", "name", "type", "mac_address"), interfaces),
        "prefixes": _csv(
            ("prefix", "status", "description"),
            [{**p, "status": "active"} for p in whole["prefixes"]],
        ),
        "ip-addresses": _csv(("address", "status", "device", "interface", "dns_name"), addresses),
        "cables": _csv(
            (
                "side_a_device",
                "side_a_type",
                "side_a_name",
                "side_b_device",
                "side_b_type",
                "side_b_name",
                "type",
                "status",
                "label",
                "length",
                "length_unit",
            ),
            cables,
        ),
    }


def _int(row: dict[str, str], column: str, line: int) -> int | None:
    text = (row.get(column) or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise SopError(
            _("csv line {line}: {column}: {text!r} is not a whole number").format(
                line=line, column=column, text=text
            )
        ) from None


def import_devices(session: Session, text: str, actor: Any) -> list[str]:
    """Given a devices CSV in NetBox's import shape (``DEVICE_COLUMNS``; ``name`` required,
    the rest optional), register the devices not yet there; return their names.

    Every row is checked before any is written: raise SopError naming the line
    and column of the first that is wrong (nothing written then).  Devices
    already registered are left as they are (say so, do not overwrite).
    """
    reader = csv.DictReader(io.StringIO(text))
    header = reader.fieldnames or []
    if "name" not in header:
        raise SopError(_("csv: the header must have a 'name' column (NetBox's device import)"))
    unknown = [c for c in header if c not in DEVICE_COLUMNS]
    if unknown:
        raise SopError(
            _("csv: column {column!r} is not allowed; use {allowed}").format(
                column=unknown[0], allowed=", ".join(DEVICE_COLUMNS)
            )
        )
    plans = []
    for line, row in enumerate(reader, start=2):
        name = (row.get("name") or "").strip()
        if not name:
            raise SopError(_("csv line {line}: name: empty").format(line=line))
        status = (row.get("cf_sop_status") or "").strip() or _from_netbox(row, line)
        fields = {
            "code": row.get("cf_code") or "",
            "kind": (row.get("role") or "").strip() or "server",
            "owner": row.get("tenant") or "",
            "vendor": row.get("manufacturer") or "",
            "model": row.get("device_type") or "",
            "serial": row.get("serial") or "",
            "asset_number": row.get("asset_tag") or "",
            "function": row.get("description") or "",
            "notes": row.get("comments") or "",
            "u_height": _int(row, "cf_u_height", line) or 0,
            "power_w": _int(row, "cf_power_w", line) or 0,
        }
        where = {
            "room": (row.get("location") or "").strip() or None,
            "rack": (row.get("rack") or "").strip() or None,
            "position": _int(row, "position", line),
            "feed": (row.get("cf_power_feed") or "").strip() or None,
        }
        plans.append((line, name, status, fields, where))
    # One transaction (the caller's): a bad row rolls back the rows before it.
    added = []
    for line, name, status, fields, where in plans:
        if service.get_device(session, name) is not None:
            continue
        try:
            service.add_device(session, name, actor, status=status, **fields)
            if any(v is not None for v in where.values()):
                places.place_device(session, name, actor, **where)
        except SopError as error:
            raise SopError(_("csv line {line}: {error}").format(line=line, error=error)) from None
        added.append(name)
    return added


def _from_netbox(row: dict[str, str], line: int) -> str:
    status = (row.get("status") or "").strip() or "active"
    ours = {"inventory": "received", "staged": "staged", "active": "active"}
    ours |= {"decommissioning": "decommissioning", "offline": "offline", "planned": "received"}
    if status not in ours:
        raise SopError(
            _("csv line {line}: status: {status!r} is not allowed; use one of {allowed}").format(
                line=line, status=status, allowed=", ".join(ours)
            )
        )
    return ours[status]
