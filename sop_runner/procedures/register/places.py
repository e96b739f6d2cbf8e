"""The register's places: the site, its rooms, racks and power feeds; where a device stands.

Rooms are of the document's kinds (ruang kendali, area staging, server farm,
loading dock); ``sop_runner.site`` takes the procedures' places from them when
the register has any.  Every change is an audit entry, signed when a person
makes it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register.models import Device, PowerFeed, Rack, Room, SiteRow
from sop_runner.procedures.register.signing import Actor, record

ROOM_KINDS = ("control_room", "staging_area", "server_farm", "loading_dock", "other")
DEFAULT_SITE = "pusat-data"
DEFAULT_SITE_TITLE = "Pusat Data Kabupaten Tegal"
# NetBox's default max_utilization of a power feed; SOP 1.2's power budget uses it
# unless the feed or the site's configuration says otherwise.
DEFAULT_DERATING_PCT = 80
MAX_RACK_U = 100


def _slug(field: str, value: str) -> str:
    """Given a field and a short name, return it.  Raise SopError unless it is a slug."""
    text = value.strip()
    if not text or len(text) > 64 or not all(c.isalnum() or c in "-_." for c in text):
        raise SopError(
            _(
                "{field}: {value!r} is not allowed; a short name of letters, digits, - _ . "
                "(at most 64)"
            ).format(field=field, value=value)
        )
    return text


def site(session: Session, actor: Actor | None = None) -> SiteRow:
    """Return the site, made on first use (by ``actor``, or "sop" when none acts)."""
    row = session.scalars(select(SiteRow).order_by(SiteRow.id)).first()
    if row is None:
        row = SiteRow(name=DEFAULT_SITE, title=DEFAULT_SITE_TITLE)
        session.add(row)
        session.flush()
        record(session, actor or "sop", "register.site", f"site/{row.name}", {"title": row.title})
    return row


def add_room(session: Session, name: str, kind: str, actor: Actor, title: str = "") -> Room:
    """Given a room's short name, kind and title, register it; return the row.

    Raise SopError if the name is not a short name, the kind unknown or the room there.
    """
    name = _slug("--name", name)
    if kind not in ROOM_KINDS:
        raise SopError(
            _("--kind: {kind!r} is not allowed; use one of {allowed}").format(
                kind=kind, allowed=", ".join(ROOM_KINDS)
            )
        )
    if get_room(session, name) is not None:
        raise SopError(_("room {name!r}: already registered").format(name=name))
    room = Room(site_id=site(session, actor).id, name=name, kind=kind, title=title or name)
    session.add(room)
    session.flush()
    record(session, actor, "register.room", f"room/{name}", {"kind": kind, "title": room.title})
    return room


def get_room(session: Session, name: str) -> Room | None:
    """Given a room's short name, return its row (None when not registered)."""
    return session.scalars(select(Room).where(Room.name == name)).first()


def rooms(session: Session) -> list[Room]:
    """Return every room of the register, by name."""
    return list(session.scalars(select(Room).order_by(Room.name)).all())


def add_rack(session: Session, name: str, room: str, actor: Actor, u_height: int = 42) -> Rack:
    """Given a rack's name, its room and height in U, register it; return the row.

    Raise SopError if the room is not registered, the height not 1–100 or the rack there.
    """
    name = _slug("--name", name)
    where = get_room(session, room)
    if where is None:
        raise SopError(
            _("--room: {room!r} is not a registered room; `sop register room add` it").format(
                room=room
            )
        )
    if not isinstance(u_height, int) or not 1 <= u_height <= MAX_RACK_U:
        raise SopError(
            _("--u-height: {u_height!r} is not allowed; a whole number 1–{maximum}").format(
                u_height=u_height, maximum=MAX_RACK_U
            )
        )
    if get_rack(session, name) is not None:
        raise SopError(_("rack {name!r}: already registered").format(name=name))
    rack = Rack(room_id=where.id, name=name, u_height=u_height)
    session.add(rack)
    session.flush()
    record(session, actor, "register.rack", f"rack/{name}", {"room": room, "u_height": u_height})
    return rack


def get_rack(session: Session, name: str) -> Rack | None:
    """Given a rack's name, return its row (None when not registered)."""
    return session.scalars(select(Rack).where(Rack.name == name)).first()


def racks(session: Session) -> list[Rack]:
    """Return every rack of the register, by name."""
    return list(session.scalars(select(Rack).order_by(Rack.name)).all())


def add_feed(
    session: Session,
    name: str,
    rating_w: int,
    actor: Actor,
    rack: str | None = None,
    derating_pct: int | None = None,
) -> PowerFeed:
    """Given a power feed or PDU's name, rating (W), rack and usable share, register it.

    Raise SopError if the rating is not positive, the share not 1–100, the rack
    unknown or the feed already there.
    """
    name = _slug("--name", name)
    if not isinstance(rating_w, int) or rating_w <= 0:
        raise SopError(
            _("--rating-w: {rating_w!r} is not allowed; a whole number of watts > 0").format(
                rating_w=rating_w
            )
        )
    if derating_pct is not None and not 1 <= derating_pct <= 100:
        raise SopError(
            _("--derating-pct: {derating_pct!r} is not allowed; a percentage 1–100").format(
                derating_pct=derating_pct
            )
        )
    rack_row = None
    if rack:
        rack_row = get_rack(session, rack)
        if rack_row is None:
            raise SopError(_("--rack: {rack!r} is not a registered rack").format(rack=rack))
    if get_feed(session, name) is not None:
        raise SopError(_("power feed {name!r}: already registered").format(name=name))
    feed = PowerFeed(
        name=name,
        rating_w=rating_w,
        derating_pct=derating_pct,
        rack_id=rack_row.id if rack_row else None,
    )
    session.add(feed)
    session.flush()
    record(
        session,
        actor,
        "register.feed",
        f"feed/{name}",
        {"rating_w": rating_w, "derating_pct": derating_pct, "rack": rack},
    )
    return feed


def get_feed(session: Session, name: str) -> PowerFeed | None:
    """Given a power feed's name, return its row (None when not registered)."""
    return session.scalars(select(PowerFeed).where(PowerFeed.name == name)).first()


def feeds(session: Session) -> list[PowerFeed]:
    """Return every power feed of the register, by name."""
    return list(session.scalars(select(PowerFeed).order_by(PowerFeed.name)).all())


def place_device(
    session: Session,
    name: str,
    actor: Actor,
    room: str | None = None,
    rack: str | None = None,
    position: int | None = None,
    feed: str | None = None,
) -> dict[str, Any]:
    """Given a registered device and where it now stands (room, rack and lowest U, feed),
    record it; return ``{field: [old, new]}``.  A rack puts the device in the rack's room.

    Raise SopError if a place is unknown or the units are taken or past the rack's top.
    """
    from sop_runner.procedures.register.capacity import occupied_units
    from sop_runner.procedures.register.service import _registered

    device = _registered(session, name, "; `sop register add` it first")
    new: dict[str, Any] = {}
    if room is not None:
        row = get_room(session, room)
        if row is None:
            raise SopError(_("--room: {room!r} is not a registered room").format(room=room))
        new["room_id"] = row.id
    if rack is not None:
        rack_row = get_rack(session, rack)
        if rack_row is None:
            raise SopError(_("--rack: {rack!r} is not a registered rack").format(rack=rack))
        new["rack_id"], new["room_id"] = rack_row.id, rack_row.room_id
        if position is None:
            raise SopError(_("--position: required with --rack (the lowest U the device takes)"))
        height = max(device.u_height, 1)
        if position < 1 or position + height - 1 > rack_row.u_height:
            raise SopError(
                _(
                    "--position: {position} is not allowed; {name} ({height}U) fits at "
                    "1–{last} in {rack} ({rack_u}U)"
                ).format(
                    position=position,
                    name=name,
                    height=height,
                    last=rack_row.u_height - height + 1,
                    rack=rack,
                    rack_u=rack_row.u_height,
                )
            )
        taken = occupied_units(session, rack_row, exclude=device.id)
        clash = sorted(set(range(position, position + height)) & set(taken))
        if clash:
            raise SopError(
                _("--position: U{unit} of {rack} is taken by {device}").format(
                    unit=clash[0], rack=rack, device=taken[clash[0]]
                )
            )
        new["position"] = position
    if feed is not None:
        feed_row = get_feed(session, feed)
        if feed_row is None:
            raise SopError(_("--feed: {feed!r} is not a registered power feed").format(feed=feed))
        new["feed_id"] = feed_row.id
    changed = {k: [getattr(device, k), v] for k, v in new.items() if getattr(device, k) != v}
    for key, (_old, value) in changed.items():
        setattr(device, key, value)
    if changed:
        where = {"room": room, "rack": rack, "position": position, "feed": feed}
        record(
            session,
            actor,
            "register.placed",
            f"device/{name}",
            {k: v for k, v in where.items() if v is not None},
        )
    return changed


def device_place(session: Session, device: Device) -> dict[str, Any]:
    """Given a device, return its room, rack, position and feed by name (None when none)."""
    room = session.get(Room, device.room_id) if device.room_id else None
    rack = session.get(Rack, device.rack_id) if device.rack_id else None
    feed = session.get(PowerFeed, device.feed_id) if device.feed_id else None
    return {
        "room": room.name if room else None,
        "rack": rack.name if rack else None,
        "position": device.position,
        "feed": feed.name if feed else None,
    }


def room_name(session: Session, room_id: int | None) -> str:
    """Given a room's id, return its name ("" when none)."""
    room = session.get(Room, room_id) if room_id else None
    return room.name if room else ""
