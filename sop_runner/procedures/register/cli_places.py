"""`sop register room|rack|feed`: the site's places and power feeds."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, out, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.register import places, views
from sop_runner.procedures.register.cli import change, print_json, say

rooms = typer.Typer(help=_("Rooms: control room, staging area, server farm, loading dock."))
racks = typer.Typer(help=_("Racks and their height in U."))
feeds = typer.Typer(help=_("Power feeds / PDUs: rating in W and usable share (derating)."))


def attach(cli: typer.Typer) -> None:
    """Given the `sop register` app, add its place groups."""
    cli.add_typer(rooms, name="room")
    cli.add_typer(racks, name="rack")
    cli.add_typer(feeds, name="feed")


@subcommand(rooms, "add")
def room_add(
    name: str,
    kind: Annotated[str, typer.Option(help=", ".join(places.ROOM_KINDS))],
    title: Annotated[str, typer.Option(help=_("the room's name in words"))] = "",
    as_: As = None,
) -> None:
    """Register a room of the site."""
    change(as_, lambda s, who: places.add_room(s, name, kind, who, title))
    say(_("room {name} ({kind}) registered").format(name=name, kind=kind))


@subcommand(rooms, "list")
def room_list(as_json: Json = False) -> None:
    """List the rooms."""
    with Context().session() as session:
        whole = views.register_dict(session)
    if as_json:
        print_json({"schema": "sop.register-rooms/1", "rooms": whole["rooms"]})
        return
    table = Table(_("name"), _("kind"), _("title"))
    for room in whole["rooms"]:
        table.add_row(room["name"], room["kind"], room["title"])
    out.print(table)


@subcommand(racks, "add")
def rack_add(
    name: str,
    room: Annotated[str, typer.Option(help=_("the room it stands in"))],
    u_height: Annotated[int, typer.Option("--u-height", help=_("height in U"))] = 42,
    as_: As = None,
) -> None:
    """Register a rack."""
    change(as_, lambda s, who: places.add_rack(s, name, room, who, u_height))
    say(
        _("rack {name} ({u_height}U, {room}) registered").format(
            name=name, u_height=u_height, room=room
        )
    )


@subcommand(racks, "list")
def rack_list(as_json: Json = False) -> None:
    """List the racks with the units their devices take."""
    from sop_runner.procedures.register.capacity import occupied_units

    with Context().session() as session:
        rows = [
            {
                "name": r.name,
                "u_height": r.u_height,
                "used_u": len(occupied_units(session, r)),
                "room": places.room_name(session, r.room_id),
            }
            for r in places.racks(session)
        ]
    if as_json:
        print_json({"schema": "sop.register-racks/1", "racks": rows})
        return
    table = Table(_("name"), _("room"), "U", _("used U"))
    for r in rows:
        table.add_row(r["name"], r["room"], str(r["u_height"]), str(r["used_u"]))
    out.print(table)


@subcommand(feeds, "add")
def feed_add(
    name: str,
    rating_w: Annotated[int, typer.Option("--rating-w", help=_("rating in W"))],
    rack: Annotated[str | None, typer.Option(help=_("the rack it feeds"))] = None,
    derating_pct: Annotated[
        int | None, typer.Option("--derating-pct", help=_("usable share in % (default 80)"))
    ] = None,
    as_: As = None,
) -> None:
    """Register a power feed or PDU."""
    change(as_, lambda s, who: places.add_feed(s, name, rating_w, who, rack, derating_pct))
    say(_("feed {name} ({rating_w} W) registered").format(name=name, rating_w=rating_w))


@subcommand(feeds, "list")
def feed_list(as_json: Json = False) -> None:
    """List the power feeds: rating, budget (rating × derating) and load."""
    with Context().session() as session:
        rows = views.register_dict(session)["feeds"]
    if as_json:
        print_json({"schema": "sop.register-feeds/1", "feeds": rows})
        return
    table = Table(_("name"), _("rating W"), _("budget W"), _("load W"))
    for f in rows:
        table.add_row(f["name"], str(f["rating_w"]), str(f["budget_w"]), str(f["load_w"]))
    out.print(table)
