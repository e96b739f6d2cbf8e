"""The register's network: interfaces (name, MAC), prefixes, IP addresses, cables.

Shaped after NetBox: an IP address is an address with its mask, assigned to one
interface; a cable joins an A and a B interface and carries one label, the same
on both its ends (SOP 3.2).  Every change is an audit entry, signed when a
person makes it.
"""

from __future__ import annotations

import ipaddress
import re

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register.models import Cable, Device, Interface, IPAddress, Prefix
from sop_runner.procedures.register.signing import Actor, record

CABLE_TYPES = ("cat5e", "cat6", "cat6a", "mmf", "smf", "dac", "power", "other")
MAC = re.compile(r"[0-9a-f]{2}(:[0-9a-f]{2}){5}")
# Interfaces no cable plugs into (NetBox type "virtual"): never a free switch port.
VIRTUAL = re.compile(r"(lo|vlan|br|bond|team|tun|tap|wg|docker|virbr|irb)[0-9._-]*.*")


def default_type(name: str) -> str:
    """Given an interface name, return the type it gets when none is said."""
    return "virtual" if VIRTUAL.fullmatch(name.lower()) else "1000base-t"


def _device(session: Session, name: str, field: str = "device") -> Device:
    device = session.scalars(select(Device).where(Device.name == name)).first()
    if device is None:
        raise SopError(
            _("{field}: {name!r} is not a registered device").format(field=field, name=name)
        )
    return device


def get_interface(session: Session, device: str, name: str) -> Interface | None:
    """Given a device and an interface name, return the interface (None when none)."""
    query = select(Interface).join(Device).where(Device.name == device, Interface.name == name)
    return session.scalars(query).first()


def interfaces(session: Session, device: str) -> list[Interface]:
    """Given a device's name, return its interfaces in the order they were registered."""
    owner = _device(session, device)
    query = select(Interface).where(Interface.device_id == owner.id).order_by(Interface.id)
    return list(session.scalars(query).all())


def set_interface(
    session: Session, device: str, name: str, actor: Actor, mac: str = "", type: str = ""
) -> Interface:
    """Given a device, an interface name and its MAC, add it or change its MAC; return it.

    Raise SopError if the device is unknown, the name empty or the MAC not aa:bb:cc:dd:ee:ff.
    """
    owner = _device(session, device)
    if not name.strip() or len(name) > 64:
        raise SopError(
            _("interface: {name!r} is not allowed; a name of 1–64 characters").format(name=name)
        )
    mac = mac.strip().lower()
    if mac and not MAC.fullmatch(mac):
        raise SopError(
            _("--mac: {mac!r} is not allowed; six hex pairs, e.g. 52:54:00:12:34:56").format(
                mac=mac
            )
        )
    row = get_interface(session, device, name)
    if row is None:
        row = Interface(device_id=owner.id, name=name, mac=mac, type=type or default_type(name))
        session.add(row)
    elif (row.mac, row.type) == (mac or row.mac, type or row.type):
        return row
    else:
        row.mac, row.type = mac or row.mac, type or row.type
    session.flush()
    record(
        session,
        actor,
        "register.interface",
        f"device/{device}/{name}",
        {"mac": row.mac, "type": row.type},
    )
    return row


def add_prefix(session: Session, prefix: str, actor: Actor, description: str = "") -> Prefix:
    """Given a prefix such as 10.10.0.0/24, register it; return the row.

    Raise SopError if it is not a network address with its length or already there.
    """
    try:
        network = ipaddress.ip_network(prefix.strip())
    except ValueError:
        raise SopError(
            _(
                "prefix: {prefix!r} is not allowed; a network with its length, e.g. 10.10.0.0/24"
            ).format(prefix=prefix)
        ) from None
    text = str(network)
    if session.scalars(select(Prefix).where(Prefix.prefix == text)).first() is not None:
        raise SopError(_("prefix {prefix}: already registered").format(prefix=text))
    row = Prefix(prefix=text, description=description)
    session.add(row)
    session.flush()
    record(session, actor, "register.prefix", f"prefix/{text}", {"description": description})
    return row


def prefixes(session: Session) -> list[Prefix]:
    """Return every prefix of the register."""
    return list(session.scalars(select(Prefix).order_by(Prefix.prefix)).all())


def assign_address(
    session: Session, address: str, device: str, interface: str, actor: Actor, dns_name: str = ""
) -> IPAddress:
    """Given an address with its mask and a device's interface, assign it there; return it.

    The interface is added when the device lacks it.  Raise SopError if the
    address is malformed or held by another interface.
    """
    try:
        parsed = ipaddress.ip_interface(address.strip())
    except ValueError:
        raise SopError(
            _(
                "address: {address!r} is not allowed; an address with its mask, e.g. 10.10.0.5/24"
            ).format(address=address)
        ) from None
    text = str(parsed)
    port = get_interface(session, device, interface) or set_interface(
        session, device, interface, actor
    )
    rows = session.scalars(select(IPAddress)).all()
    row = next((r for r in rows if ipaddress.ip_interface(r.address).ip == parsed.ip), None)
    if row is not None and row.interface_id not in (None, port.id):
        holder = session.get(Interface, row.interface_id)
        owner = session.get(Device, holder.device_id) if holder else None
        raise SopError(
            _("address {address}: already assigned to {device} {interface}").format(
                address=parsed.ip,
                device=owner.name if owner else "?",
                interface=holder.name if holder else "?",
            )
        )
    if row is not None and (row.address, row.interface_id, row.dns_name) == (
        text,
        port.id,
        dns_name or row.dns_name,
    ):
        return row
    if row is None:
        row = IPAddress(address=text, interface_id=port.id, dns_name=dns_name)
        session.add(row)
    else:
        row.address, row.interface_id, row.dns_name = text, port.id, dns_name or row.dns_name
    session.flush()
    record(
        session,
        actor,
        "register.ip",
        f"ip/{parsed.ip}",
        {"device": device, "interface": interface, "address": text, "dns_name": row.dns_name},
    )
    return row


def addresses(session: Session, device: str | None = None) -> list[tuple[IPAddress, str, str]]:
    """Return ``(address row, device name, interface name)`` for every assigned address
    (of one device when named), by device and interface."""
    query = (
        select(IPAddress, Device.name, Interface.name)
        .join(Interface, IPAddress.interface_id == Interface.id)
        .join(Device, Interface.device_id == Device.id)
        .order_by(Device.name, Interface.id, IPAddress.id)
    )
    if device is not None:
        query = query.where(Device.name == device)
    return [(row, d, i) for row, d, i in session.execute(query).all()]


def add_cable(
    session: Session,
    label: str,
    a: tuple[str, str],
    b: tuple[str, str],
    actor: Actor,
    type: str = "cat6",
    length: float | None = None,
) -> Cable:
    """Given a cable's label and its two ends (device, interface), register it; return it.

    Interfaces missing on a registered device are added.  Raise SopError if the
    label is taken, the type unknown, the length not positive, both ends the
    same, or an end already has a cable.
    """
    label = label.strip()
    if not label or len(label) > 64:
        raise SopError(
            _("label: {label!r} is not allowed; the cable's id, 1–64 characters").format(
                label=label
            )
        )
    if type not in CABLE_TYPES:
        raise SopError(
            _("--type: {type!r} is not allowed; use one of {allowed}").format(
                type=type, allowed=", ".join(CABLE_TYPES)
            )
        )
    if length is not None and length <= 0:
        raise SopError(
            _("--length: {length!r} is not allowed; a length in metres > 0").format(length=length)
        )
    if a == b:
        raise SopError(_("--b: the same interface as --a; a cable joins two interfaces"))
    if session.scalars(select(Cable).where(Cable.label == label)).first() is not None:
        raise SopError(_("cable {label!r}: already registered").format(label=label))
    ends = []
    for side, (device, name) in (("a", a), ("b", b)):
        port = get_interface(session, device, name) or set_interface(session, device, name, actor)
        other = cable_on(session, port.id)
        if other is not None:
            raise SopError(
                _("--{side}: {device} {interface} already has cable {cable}").format(
                    side=side, device=device, interface=name, cable=other.label
                )
            )
        ends.append(port)
    cable = Cable(
        label=label, a_interface_id=ends[0].id, b_interface_id=ends[1].id, type=type, length=length
    )
    session.add(cable)
    session.flush()
    record(
        session,
        actor,
        "register.cable",
        f"cable/{label}",
        {"a": list(a), "b": list(b), "type": type, "length": length},
    )
    return cable


def cable_on(session: Session, interface_id: int) -> Cable | None:
    """Given an interface's id, return the cable on it (None when none)."""
    query = select(Cable).where(
        or_(Cable.a_interface_id == interface_id, Cable.b_interface_id == interface_id)
    )
    return session.scalars(query).first()


def cables(session: Session) -> list[dict[str, object]]:
    """Return every cable as ``{label, type, length, a_device, a_interface, b_device,
    b_interface}``, by label."""
    result = []
    for cable in session.scalars(select(Cable).order_by(Cable.label)):
        row: dict[str, object] = {"label": cable.label, "type": cable.type, "length": cable.length}
        for side, interface_id in (("a", cable.a_interface_id), ("b", cable.b_interface_id)):
            port = session.get(Interface, interface_id)
            owner = session.get(Device, port.device_id) if port else None
            row[f"{side}_device"] = owner.name if owner else None
            row[f"{side}_interface"] = port.name if port else None
        result.append(row)
    return result
