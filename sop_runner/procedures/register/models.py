"""The tables of the registers (Buku daftar perangkat), shaped after NetBox's data model.

Places: a site, its rooms (NetBox *location*: control room, staging area, server
farm, loading dock), racks with their height in U, and power feeds with their
rating.  Devices: code, name, function, notes, vendor (*manufacturer*), model
(*device type*), serial, owner OPD (*tenant*), kind (*role*), place in a rack
(lowest U *position* and height), power draw and feed, status with history,
specification with history.  Network: interfaces (name, MAC), prefixes, IP
addresses on interfaces, cables between two interfaces.  Deliveries: what 1.1
receives at the loading dock, with its packing list.

Nothing here is deleted: a device leaves through its statuses.  Callers use the
functions of ``sop_runner.procedures.register`` (the package docstring), never
these tables.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class SiteRow(Base):
    """The site (NetBox *site*): Pusat Data Kabupaten Tegal, usually the only one."""

    __tablename__ = "register_sites"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")


class Room(Base):
    """A room or area of a site (NetBox *location*), of one of the document's kinds."""

    __tablename__ = "register_rooms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("register_sites.id"))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    # control_room | staging_area | server_farm | loading_dock | other
    kind: Mapped[str] = mapped_column(String(32))


class Rack(Base):
    """A rack in a room, its height in U (NetBox *rack*: u_height, units counted from 1)."""

    __tablename__ = "register_racks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    room_id: Mapped[int] = mapped_column(ForeignKey("register_rooms.id"))
    name: Mapped[str] = mapped_column(String(64), unique=True)
    u_height: Mapped[int] = mapped_column(Integer, default=42)
    notes: Mapped[str] = mapped_column(Text, default="")


class PowerFeed(Base):
    """A power feed or PDU (NetBox *power feed*): its rating in W and usable share.

    ``derating_pct`` is NetBox's *max_utilization*: the share of the rating the
    devices may draw (None: the site's default, 80 %).
    """

    __tablename__ = "register_power_feeds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("register_racks.id"), nullable=True)
    rating_w: Mapped[int] = mapped_column(Integer)
    derating_pct: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Device(Base):
    """One device of the register (Buku daftar perangkat), facilities of 1.4 included."""

    __tablename__ = "register_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    asset_number: Mapped[str] = mapped_column(String(64), default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    function: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")
    # "id perangkat" (1.2 step 4): the code on its label; unique when given.
    code: Mapped[str | None] = mapped_column(String(64), unique=True, nullable=True)
    kind: Mapped[str] = mapped_column(String(32), default="server")
    vendor: Mapped[str] = mapped_column(String(128), default="")
    model: Mapped[str] = mapped_column(String(128), default="")
    serial: Mapped[str] = mapped_column(String(128), default="")
    room_id: Mapped[int | None] = mapped_column(ForeignKey("register_rooms.id"), nullable=True)
    rack_id: Mapped[int | None] = mapped_column(ForeignKey("register_racks.id"), nullable=True)
    # The lowest U the device occupies (NetBox *position*) and how many it takes.
    position: Mapped[int | None] = mapped_column(Integer, nullable=True)
    u_height: Mapped[int] = mapped_column(Integer, default=0)
    power_w: Mapped[int] = mapped_column(Integer, default=0)
    feed_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_power_feeds.id"), nullable=True
    )
    delivery_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_deliveries.id"), nullable=True
    )


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


class Interface(Base):
    """A network interface of a device (NetBox *interface*): name, MAC, type."""

    __tablename__ = "register_interfaces"
    __table_args__ = (UniqueConstraint("device_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("register_devices.id"))
    name: Mapped[str] = mapped_column(String(64))
    mac: Mapped[str] = mapped_column(String(17), default="")
    type: Mapped[str] = mapped_column(String(32), default="1000base-t")


class Prefix(Base):
    """An IP prefix (NetBox *prefix*) addresses are taken from, e.g. 10.10.0.0/24."""

    __tablename__ = "register_prefixes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")


class IPAddress(Base):
    """An IP address with its mask, e.g. 10.10.0.5/24 (NetBox *IP address*), on an interface."""

    __tablename__ = "register_ip_addresses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    address: Mapped[str] = mapped_column(String(64), unique=True)
    interface_id: Mapped[int | None] = mapped_column(
        ForeignKey("register_interfaces.id"), nullable=True
    )
    dns_name: Mapped[str] = mapped_column(String(255), default="")


class Cable(Base):
    """A cable between two interfaces (NetBox *cable*, A and B terminations), by its label."""

    __tablename__ = "register_cables"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    label: Mapped[str] = mapped_column(String(64), unique=True)
    a_interface_id: Mapped[int] = mapped_column(ForeignKey("register_interfaces.id"), unique=True)
    b_interface_id: Mapped[int] = mapped_column(ForeignKey("register_interfaces.id"), unique=True)
    type: Mapped[str] = mapped_column(String(32), default="cat6")
    length: Mapped[float | None] = mapped_column(Float, nullable=True)
    length_unit: Mapped[str] = mapped_column(String(8), default="m")


class Delivery(Base):
    """Equipment arriving at the loading dock (SOP 1.1): vendor, document, packing list.

    ``packing_list`` is ``[{item, qty}]`` as the vendor's list says; ``checked``
    the completeness check of step 3: ``[{item, qty, found, note}]``.
    """

    __tablename__ = "register_deliveries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    vendor: Mapped[str] = mapped_column(String(128))
    document: Mapped[str] = mapped_column(String(128))  # surat jalan / delivery note number
    arrived_at: Mapped[datetime] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(64))
    packing_list: Mapped[list[Any]] = mapped_column(JSON)
    staged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked: Mapped[list[Any] | None] = mapped_column(JSON, nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    complete: Mapped[bool | None] = mapped_column(Boolean, nullable=True)


class FacilityRecord(Base):
    """The berita acara of a 1.4 installation: the vendor's paper copy (its scan's hash)
    and the penanggung jawab's signed acknowledgement ("diketahui")."""

    __tablename__ = "register_facility_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), unique=True)
    vendor_name: Mapped[str] = mapped_column(String(128))
    vendor_company: Mapped[str] = mapped_column(String(200), default="")
    scan_name: Mapped[str] = mapped_column(String(255))
    scan_sha256: Mapped[str] = mapped_column(String(64))
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The penanggung jawab's signature block over the acknowledgement (trust/trail.py).
    acknowledged_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    acknowledged: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
