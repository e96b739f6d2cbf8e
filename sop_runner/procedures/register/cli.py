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
from rich.table import Table

from sop_runner.cli.options import As, Json, operator_name, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.register import HELP, places, service, views

cli = typer.Typer(help=HELP)
T = TypeVar("T")

Code = Annotated[str | None, typer.Option("--code", help="device id on its label (id perangkat)")]
Kind = Annotated[str | None, typer.Option("--kind", help="server, switch, …, ac, cctv, …")]
Vendor = Annotated[str | None, typer.Option("--vendor", help="manufacturer")]
Model = Annotated[str | None, typer.Option("--model", help="model (device type)")]
Serial = Annotated[str | None, typer.Option("--serial", help="serial number")]
UHeight = Annotated[int | None, typer.Option("--u-height", help="height in rack units")]
PowerW = Annotated[int | None, typer.Option("--power-w", help="power draw in W")]
Notes = Annotated[str | None, typer.Option("--notes", help="notes (keterangan)")]


def change(as_: str | None, do: Callable[[Any, Any], T]) -> T:
    """Given --as and a change of the register, make it signed by that person; return it."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    with ctx.session() as session:
        return do(session, acting)


def given(**fields: Any) -> dict[str, Any]:
    """Given options, return those the person gave (not None)."""
    return {k: v for k, v in fields.items() if v is not None}


def print_json(payload: Any) -> None:
    """Given JSON-able data, print it as `--json` does."""
    out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)


@cli.command("add")
def add_command(
    name: str,
    asset: Annotated[str, typer.Option("--asset", help="asset (property) number")] = "",
    owner: Annotated[str, typer.Option(help="owning unit (OPD)")] = "",
    function: Annotated[str, typer.Option(help="what the device does")] = "",
    status: Annotated[str, typer.Option(help="first status")] = "active",
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
    out.print(f"registered {name} ({status})", markup=False, highlight=False)


@cli.command("update")
def update_command(
    name: str,
    asset: Annotated[str | None, typer.Option("--asset", help="asset number")] = None,
    owner: Annotated[str | None, typer.Option(help="owning unit (OPD)")] = None,
    function: Annotated[str | None, typer.Option(help="what the device does")] = None,
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
        raise SopError("update: give at least one field to change (see --help)")
    changed = change(as_, lambda s, who: service.update_device(s, name, who, **fields))
    out.print(f"{name}: {', '.join(changed) or 'nothing changed'}", markup=False, highlight=False)


@cli.command("place")
def place_command(
    name: str,
    room: Annotated[str | None, typer.Option(help="room")] = None,
    rack: Annotated[str | None, typer.Option(help="rack")] = None,
    position: Annotated[int | None, typer.Option(help="lowest U the device takes")] = None,
    feed: Annotated[str | None, typer.Option(help="power feed or PDU")] = None,
    as_: As = None,
) -> None:
    """Say where a device stands: room, or rack and U, and its power feed."""
    changed = change(
        as_, lambda s, who: places.place_device(s, name, who, room, rack, position, feed)
    )
    out.print(f"{name}: {', '.join(changed) or 'nothing changed'}", markup=False, highlight=False)


@cli.command("status")
def status_command(
    name: str,
    to: str,
    note: Annotated[str, typer.Option(help="why")] = "",
    as_: As = None,
) -> None:
    """Move a device to its next status (received, staged, active, …), kept in its history."""
    if to not in service.STATUSES:
        raise SopError(f"status: {to!r} is not allowed; use one of {', '.join(service.STATUSES)}")
    done = change(as_, lambda s, who: service.change_status(s, name, to, who, note))
    out.print(f"{name}: {to}" if done else f"{name}: already {to}", markup=False, highlight=False)


@cli.command("list")
def list_command(
    kind: Annotated[str | None, typer.Option(help="only devices of this kind")] = None,
    status: Annotated[str | None, typer.Option(help="only devices in this status")] = None,
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
    table = Table("code", "name", "kind", "owner", "function", "rack", "U", "status")
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


@cli.command("show")
def show_command(name: str, as_json: Json = False) -> None:
    """Show one device: its fields, place, interfaces, addresses, specification."""
    with Context().session() as session:
        device = service.get_device(session, name)
        if device is None:
            raise SopError(f"register: {name!r} is not registered")
        data = views.device_dict(session, device)
    if as_json:
        print_json({"schema": "sop.register-device/1", "device": data})
        return
    for key, value in data.items():
        out.print(f"{key}: {value}", markup=False, highlight=False)


@cli.command("history")
def history_command(name: str) -> None:
    """Show a device's status history, one change a line (from → to, when, by, run, note)."""
    with Context().session() as session:
        for entry in service.history(session, name):
            run = f" run {entry.run_id}" if entry.run_id else ""
            out.print(
                f"{entry.changed_at:%Y-%m-%d %H:%M:%S} {entry.from_status or '—'} → "
                f"{entry.to_status} by {entry.changed_by}{run}: {entry.note}",
                markup=False,
                highlight=False,
            )


def _register_groups() -> None:
    """Add the places, network and CSV command groups (modules of their own)."""
    from sop_runner.procedures.register import cli_csv, cli_delivery, cli_network, cli_places

    for module in (cli_places, cli_network, cli_csv, cli_delivery):
        module.attach(cli)


_register_groups()
