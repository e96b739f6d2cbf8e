"""The resources of SOP 1.2 step 2, computed from the register: rack units, power, port, IP.

"Memastikan ketersediaan sumber daya pada Pusat Data (catu daya, slot pada rack,
jaringan fisik dan pengalamatan ip)": free contiguous U in the chosen rack, the
feed's power budget (the sum of the draws of the devices on it within its rating
times its derating, default 80 %), a switch port without a cable, a free address
in the prefix.  Pure reads: nothing is written here.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register.models import (
    Cable,
    Device,
    Interface,
    IPAddress,
    PowerFeed,
    Prefix,
    Rack,
)
from sop_runner.procedures.register.places import DEFAULT_DERATING_PCT, get_feed, get_rack

# A device in these statuses no longer takes room, power or a port.
GONE = ("offline", "disposed")


def occupied_units(session: Session, rack: Rack, exclude: int | None = None) -> dict[int, str]:
    """Given a rack, return ``{unit: device name}`` for every U a present device takes."""
    taken: dict[int, str] = {}
    query = select(Device).where(
        Device.rack_id == rack.id, Device.position.is_not(None), Device.status.not_in(GONE)
    )
    for device in session.scalars(query):
        if device.id == exclude:
            continue
        for unit in range(device.position or 0, (device.position or 0) + max(device.u_height, 1)):
            taken[unit] = device.name
    return taken


def free_position(session: Session, rack: Rack, height: int) -> int | None:
    """Given a rack and a height in U, return the lowest U where that many free units
    follow one another (None when there is no such run)."""
    taken = occupied_units(session, rack)
    for start in range(1, rack.u_height - height + 2):
        if not any(u in taken for u in range(start, start + height)):
            return start
    return None


def feed_load(session: Session, feed: PowerFeed) -> int:
    """Given a power feed, return the sum in W of the draws of the present devices on it."""
    query = select(Device).where(Device.feed_id == feed.id, Device.status.not_in(GONE))
    return sum(d.power_w for d in session.scalars(query))


def feed_budget(feed: PowerFeed, default_pct: int = DEFAULT_DERATING_PCT) -> int:
    """Given a power feed, return the W its devices may draw: rating × derating."""
    pct = feed.derating_pct if feed.derating_pct is not None else default_pct
    return feed.rating_w * pct // 100


def free_port(session: Session, switch: str) -> str | None:
    """Given a switch's name, return its first port (not virtual) without a cable (None: none).

    Raise SopError if the switch is not registered.
    """
    device = session.scalars(select(Device).where(Device.name == switch)).first()
    if device is None:
        raise SopError(
            _("--param switch: {switch!r} is not a registered device").format(switch=switch)
        )
    cabled = set(session.scalars(select(Cable.a_interface_id))) | set(
        session.scalars(select(Cable.b_interface_id))
    )
    query = (
        select(Interface)
        .where(Interface.device_id == device.id, Interface.type != "virtual")
        .order_by(Interface.id)
    )
    for interface in session.scalars(query):
        if interface.id not in cabled:
            return interface.name
    return None


def free_address(session: Session, prefix: str) -> str | None:
    """Given a registered prefix, return its first address no IP entry holds, with the
    prefix's mask (e.g. 10.10.0.7/24); None when the prefix is full.

    Raise SopError if the prefix is not registered.
    """
    row = session.scalars(select(Prefix).where(Prefix.prefix == prefix)).first()
    if row is None:
        raise SopError(
            _("--param prefix: {prefix!r} is not a registered prefix").format(prefix=prefix)
        )
    network = ipaddress.ip_network(row.prefix)
    used = {ipaddress.ip_interface(a).ip for a in session.scalars(select(IPAddress.address)).all()}
    for host in network.hosts():
        if host not in used:
            return f"{host}/{network.prefixlen}"
    return None


@dataclass
class ResourceCheck:
    """What SOP 1.2 step 2 found: each resource, what is needed and what is there."""

    device: str
    rack: str
    u_needed: int
    position: int | None
    feed: str
    power_needed_w: int
    power_used_w: int
    power_budget_w: int
    derating_pct: int
    switch: str | None = None
    port: str | None = None
    prefix: str | None = None
    address: str | None = None
    short: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.short

    def as_dict(self) -> dict[str, Any]:
        """Return the check as JSON-able data (what the step's record keeps)."""
        return {**asdict(self), "ok": self.ok}


def check_resources(
    session: Session,
    device: str,
    rack: str,
    feed: str,
    switch: str | None = None,
    prefix: str | None = None,
    default_derating_pct: int = DEFAULT_DERATING_PCT,
) -> ResourceCheck:
    """Given a registered device and where it should go, return what the register has for it.

    Raise SopError if the device, rack, feed, switch or prefix is not registered.
    """
    row = session.scalars(select(Device).where(Device.name == device)).first()
    if row is None:
        raise SopError(
            _("--param device: {device!r} is not registered; 1.1 receives it first").format(
                device=device
            )
        )
    rack_row = get_rack(session, rack)
    if rack_row is None:
        raise SopError(_("--param rack: {rack!r} is not a registered rack").format(rack=rack))
    feed_row = get_feed(session, feed)
    if feed_row is None:
        raise SopError(_("--param feed: {feed!r} is not a registered power feed").format(feed=feed))
    height = max(row.u_height, 1)
    position = free_position(session, rack_row, height)
    used = feed_load(session, feed_row) - (row.power_w if row.feed_id == feed_row.id else 0)
    pct = feed_row.derating_pct if feed_row.derating_pct is not None else default_derating_pct
    found = ResourceCheck(
        device=device,
        rack=rack,
        u_needed=height,
        position=position,
        feed=feed,
        power_needed_w=row.power_w,
        power_used_w=used,
        power_budget_w=feed_budget(feed_row, default_derating_pct),
        derating_pct=pct,
        switch=switch,
        port=free_port(session, switch) if switch else None,
        prefix=prefix,
        address=free_address(session, prefix) if prefix else None,
    )
    if position is None:
        found.short.append(f"rack {rack}: tidak ada {height}U berurutan yang kosong")
    if used + row.power_w > found.power_budget_w:
        found.short.append(
            f"catu daya {feed}: {used} W + {row.power_w} W melebihi anggaran "
            f"{found.power_budget_w} W ({pct} % dari {feed_row.rating_w} W)"
        )
    if switch and found.port is None:
        found.short.append(f"switch {switch}: tidak ada port yang kosong")
    if prefix and found.address is None:
        found.short.append(f"prefix {prefix}: tidak ada alamat IP yang kosong")
    return found
