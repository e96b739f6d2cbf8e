"""Buku daftar perangkat Pusat Data: the registers (places, devices, network), with history.

A device is never deleted: removing it from the register (SOP 5.1 step 6) is
a status change (active → decommissioning → offline → disposed) with an
entry in the history table and in the audit trail.  SOP 1.1 adds devices as
*received*, 1.2 and 1.4 install them (*active*); SOP 5.1 takes them out; SOP
4.1 keeps their specification history.

The Python API (other features and helpers call these, never the tables;
``session`` is a store session, ``actor`` the operator's name when a run's
recorder writes, or the person's ``Acting`` when a person acts: their change is
then a signed audit entry)::

    from sop_runner.procedures import register

    # devices (service.py)
    register.add_device(session, name, actor, asset_number="", owner="", function="",
                        status="active", notes="", run_id=None, *, code=, kind=, vendor=,
                        model=, serial=, u_height=, power_w=) -> Device
    register.update_device(session, name, actor, **fields) -> {field: [old, new]}
    register.get_device(session, name) -> Device | None;  register.devices(session)
    register.change_status(session, name, to_status, actor, note="", run_id=None)
    register.advance_to(session, name, to_status, actor, note, run_id)
    register.history(session, name);  register.record_spec(session, name, spec, actor, ...)
    register.spec_history(session, name)
    register.STATUSES, TRANSITIONS, KINDS, FACILITY_KINDS, FIELDS
    # places (places.py)
    register.add_room(session, name, kind, actor, title="");  register.rooms(session)
    register.add_rack(session, name, room, actor, u_height=42);  register.racks(session)
    register.add_feed(session, name, rating_w, actor, rack=None, derating_pct=None)
    register.place_device(session, name, actor, room=, rack=, position=, feed=)
    register.ROOM_KINDS
    # network (network.py)
    register.set_interface(session, device, name, actor, mac="", type="")
    register.interfaces(session, device);  register.add_prefix(session, prefix, actor)
    register.assign_address(session, "10.10.0.5/24", device, interface, actor)
    register.addresses(session, device=None) -> [(IPAddress, device, interface)]
    register.add_cable(session, label, (dev, if), (dev, if), actor, type="cat6", length=None)
    register.cables(session) -> [{label, type, length, a_device, a_interface, b_device,
                                   b_interface}]
    # reading it whole (views.py): what listings, the inventory plugin, labels and
    # the schema read
    register.device_dict(session, device_row) -> {name, code, ..., room, rack, position,
                                                  feed, interfaces, addresses, spec}
    register.register_dict(session) -> {schema, site, rooms, racks, feeds, devices,
                                         prefixes, cables}
    # SOP 1.2 step 2 (capacity.py)
    register.check_resources(session, device, rack, feed, switch=None, prefix=None)
        -> ResourceCheck (.ok, .short, .position, .port, .address, .as_dict())

These, like ``FEATURE``, are imported on first use: a `sop` start reads
``MANIFEST`` alone (sop_runner/features.py).
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("Buku daftar perangkat (the registers: places, devices, network) and their history.")
_SERVICE = (
    "STATUSES",
    "TRANSITIONS",
    "KINDS",
    "FACILITY_KINDS",
    "FIELDS",
    "add_device",
    "update_device",
    "advance_to",
    "change_status",
    "devices",
    "get_device",
    "history",
    "record_spec",
    "spec_history",
)
_PLACES = (
    "ROOM_KINDS",
    "add_room",
    "get_room",
    "rooms",
    "add_rack",
    "get_rack",
    "racks",
    "add_feed",
    "get_feed",
    "feeds",
    "place_device",
)
_NETWORK = (
    "set_interface",
    "get_interface",
    "interfaces",
    "add_prefix",
    "prefixes",
    "assign_address",
    "addresses",
    "add_cable",
    "cables",
)
_VIEWS = ("device_dict", "register_dict")
_CAPACITY = ("check_resources", "ResourceCheck")
__all__ = ["FEATURE", "MANIFEST", *_SERVICE, *_PLACES, *_NETWORK, *_VIEWS, *_CAPACITY]


def on_startup(ctx: Any) -> None:
    """Given the command's context (None at start), make the register's rooms the places.

    Only a function is handed to sop_runner.site; the store is read when the
    inventory is (register/rooms.py), so `sop list` imports nothing more.
    """
    from sop_runner import site

    def places() -> tuple[Any, ...]:
        return import_module(f"{__name__}.rooms").registered_places(ctx)

    site.use_places_from(places)


MANIFEST = Manifest(
    name="register",
    tables=f"{__name__}.models",
    commands={"register": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
    # Light (hands sop_runner.site a function): the register's rooms are the places.
    on_startup=(on_startup,),
)

__getattr__ = lazy_exports(
    __name__,
    {
        "FEATURE": "feature",
        **dict.fromkeys(_SERVICE, "service"),
        **dict.fromkeys(_PLACES, "places"),
        **dict.fromkeys(_NETWORK, "network"),
        **dict.fromkeys(_VIEWS, "views"),
        **dict.fromkeys(_CAPACITY, "capacity"),
    },
)
