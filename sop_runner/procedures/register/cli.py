"""`sop register ...`: the devices of the register (add, change, place, status, list, show).

Places (rooms, racks, feeds) are `sop register room|rack|feed`, the network
`sop register interface|prefix|ip|cable` (cli_places.py, cli_network.py);
CSV in NetBox's shape `sop register export|import` (cli_csv.py).  Every change
is signed by the person making it (``--as``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

import typer
from rich.table import Column, Table

from sop_runner.cli.options import As, Json, operator_name, out, subcommand
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import HELP, places, service, views

cli = typer.Typer(help=_(HELP))
T = TypeVar("T")

Code = Annotated[
    str | None, typer.Option("--code", help=_("device id on its label (id perangkat)"))
]
Kind = Annotated[str | None, typer.Option("--kind", help=_("server, switch, …, ac, cctv, …"))]
Vendor = Annotated[str | None, typer.Option("--vendor", help=_("manufacturer"))]
Model = Annotated[str | None, typer.Option("--model", help=_("model (device type)"))]
Serial = Annotated[str | None, typer.Option("--serial", help=_("serial number"))]
UHeight = Annotated[int | None, typer.Option("--u-height", help=_("height in rack units"))]
PowerW = Annotated[int | None, typer.Option("--power-w", help=_("power draw in W"))]
Notes = Annotated[str | None, typer.Option("--notes", help=_("notes (keterangan)"))]


def change(as_: str | None, do: Callable[[Any, Any], T]) -> T:
    """Given --as and a change of the register, make it signed by that person; return it."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    with ctx.session() as session:
        return do(session, acting)


def given(**fields: Any) -> dict[str, Any]:
    """Given options, return those the person gave (not None)."""
    return {k: v for k, v in fields.items() if v is not None}


def say(text: str) -> None:
    """Given a line for the person, print it as it is (no markup)."""
    out.print(text, markup=False, highlight=False)


def say_changed(name: str, changed: Any) -> None:
    """Given a device and the fields a change touched, say which (or that none did)."""
    say(f"{name}: {', '.join(changed) or _('nothing changed')}")


def print_json(payload: Any) -> None:
    """Given JSON-able data, print it as `--json` does."""
    out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)


@subcommand(cli, "add")
def add_command(
    name: str,
    asset: Annotated[str, typer.Option("--asset", help=_("asset (property) number"))] = "",
    owner: Annotated[str, typer.Option(help=_("owning unit (OPD)"))] = "",
    function: Annotated[str, typer.Option(help=_("what the device does"))] = "",
    status: Annotated[str, typer.Option(help=_("first status"))] = "active",
    code: Code = None,
    kind: Kind = None,
    vendor: Vendor = None,
    model: Model = None,
    serial: Serial = None,
    u_height: UHeight = None,
    power_w: PowerW = None,
    notes: Notes = None,
    as_: As = None,
) -> None:
    """Register a device."""
    extra = given(
        code=code,
        kind=kind,
        vendor=vendor,
        model=model,
        serial=serial,
        u_height=u_height,
        power_w=power_w,
    )
    change(
        as_,
        lambda s, who: service.add_device(
            s, name, who, asset, owner, function, status, notes or "", **extra
        ),
    )
    say(_("registered {name} ({status})").format(name=name, status=status))


@subcommand(cli, "update")
def update_command(
    name: str,
    asset: Annotated[str | None, typer.Option("--asset", help=_("asset number"))] = None,
    owner: Annotated[str | None, typer.Option(help=_("owning unit (OPD)"))] = None,
    function: Annotated[str | None, typer.Option(help=_("what the device does"))] = None,
    code: Code = None,
    kind: Kind = None,
    vendor: Vendor = None,
    model: Model = None,
    serial: Serial = None,
    u_height: UHeight = None,
    power_w: PowerW = None,
    notes: Notes = None,
    as_: As = None,
) -> None:
    """Change a device's fields (each change kept in the audit trail)."""
    fields = given(
        asset_number=asset,
        owner=owner,
        function=function,
        code=code,
        kind=kind,
        vendor=vendor,
        model=model,
        serial=serial,
        u_height=u_height,
        power_w=power_w,
        notes=notes,
    )
    if not fields:
        raise SopError(_("update: give at least one field to change (see --help)"))
    changed = change(as_, lambda s, who: service.update_device(s, name, who, **fields))
    say_changed(name, changed)


@subcommand(cli, "place")
def place_command(
    name: str,
    room: Annotated[str | None, typer.Option(help=_("room"))] = None,
    rack: Annotated[str | None, typer.Option(help=_("rack"))] = None,
    position: Annotated[int | None, typer.Option(help=_("lowest U the device takes"))] = None,
    feed: Annotated[str | None, typer.Option(help=_("power feed or PDU"))] = None,
    as_: As = None,
) -> None:
    """Say where a device stands: room, or rack and U, and its power feed."""
    changed = change(
        as_, lambda s, who: places.place_device(s, name, who, room, rack, position, feed)
    )
    say_changed(name, changed)


@subcommand(cli, "status")
def status_command(
    name: str,
    status: str,
    note: Annotated[str, typer.Option(help=_("why"))] = "",
    as_: As = None,
) -> None:
    """Move a device to its next status (received, staged, active, …), kept in its history."""
    if status not in service.STATUSES:
        raise SopError(
            _("status: {status!r} is not allowed; use one of {allowed}").format(
                status=status, allowed=", ".join(service.STATUSES)
            )
        )
    done = change(as_, lambda s, who: service.change_status(s, name, status, who, note))
    said = _("{name}: already {status}") if not done else "{name}: {status}"
    say(said.format(name=name, status=status))


@subcommand(cli, "list")
def list_command(
    kind: Annotated[str | None, typer.Option(help=_("only devices of this kind"))] = None,
    status: Annotated[str | None, typer.Option(help=_("only devices in this status"))] = None,
    as_json: Json = False,
) -> None:
    """List the register, every status included (nothing is ever deleted)."""
    with Context().session() as session:
        whole = views.register_dict(session)
    whole["devices"] = [
        d
        for d in whole["devices"]
        if (kind is None or d["kind"] == kind) and (status is None or d["status"] == status)
    ]
    if as_json:
        print_json(whole)
        return
    # Names are shown whole (a reversed or hidden character must be seen): others wrap.
    table = Table(
        _("code"),
        Column(_("name"), no_wrap=True),
        _("kind"),
        Column(_("owner"), no_wrap=True),
        _("function"),
        _("rack"),
        "U",
        _("status"),
    )
    for d in whole["devices"]:
        table.add_row(
            d["code"] or "",
            d["name"],
            d["kind"],
            d["owner"],
            d["function"],
            d["rack"] or d["room"] or "",
            str(d["position"] or ""),
            d["status"],
        )
    out.print(table)


@subcommand(cli, "show")
def show_command(name: str, as_json: Json = False) -> None:
    """Show one device: its fields, place, interfaces, addresses, specification."""
    with Context().session() as session:
        device = service.get_device(session, name)
        if device is None:
            raise SopError(
                _("register: {name!r} is not registered{hint}").format(name=name, hint="")
            )
        data = views.device_dict(session, device)
    if as_json:
        print_json({"schema": "sop.register-device/1", "device": data})
        return
    for key, value in data.items():
        out.print(f"{key}: {value}", markup=False, highlight=False)


@subcommand(cli, "history")
def history_command(name: str, as_json: Json = False) -> None:
    """Show a device's status history, one change a line (from → to, when, by, run, note)."""
    with Context().session() as session:
        entries = service.history(session, name)
        if as_json:
            rows = [
                {
                    "at": e.changed_at.isoformat(timespec="seconds"),
                    "from_status": e.from_status,
                    "to_status": e.to_status,
                    "by": e.changed_by,
                    "run": e.run_id,
                    "note": e.note,
                }
                for e in entries
            ]
            print_json({"schema": "sop.register-history/1", "device": name, "history": rows})
            return
        for entry in entries:
            run = _(" run {run}").format(run=entry.run_id) if entry.run_id else ""
            say(
                _("{at} {from_status} → {to_status} by {by}{run}: {note}").format(
                    at=f"{entry.changed_at:%Y-%m-%d %H:%M:%S}",
                    from_status=entry.from_status or "—",
                    to_status=entry.to_status,
                    by=entry.changed_by,
                    run=run,
                    note=entry.note,
                )
            )


def _register_groups() -> None:
    """Add the places, network and CSV command groups (modules of their own)."""
    from sop_runner.procedures.register import cli_csv, cli_delivery, cli_network, cli_places

    for module in (cli_places, cli_network, cli_csv, cli_delivery):
        module.attach(cli)


_register_groups()
