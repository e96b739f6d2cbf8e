"""`sop register ...`: add a device, list the register, show a device's status history."""

from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, operator_name, out, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.register import HELP, service

cli = typer.Typer(help=_(HELP))


@subcommand(cli, "add")
def add_command(
    name: str,
    asset: Annotated[str, typer.Option("--asset", help=_("asset (property) number"))] = "",
    owner: Annotated[str, typer.Option(help=_("owning unit (OPD)"))] = "",
    function: Annotated[str, typer.Option(help=_("what the device does"))] = "",
    status: Annotated[str, typer.Option(help=_("first status"))] = "active",
    as_: As = None,
) -> None:
    """Register a device."""
    ctx = Context()
    actor = ctx.actor(operator_name(as_)).name
    with ctx.session() as session:
        service.add_device(session, name, actor, asset, owner, function, status)
    out.print(f"registered {name} ({status})")


@subcommand(cli, "list")
def list_command(as_json: Json = False) -> None:
    """List the register, every status included (nothing is ever deleted)."""
    with Context().session() as session:
        devices = [
            {
                "name": d.name,
                "asset": d.asset_number,
                "owner": d.owner,
                "function": d.function,
                "status": d.status,
            }
            for d in service.devices(session)
        ]
    if as_json:
        payload = {"schema": "sop.register/1", "devices": devices}
        out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)
        return
    table = Table("name", "asset", "owner", "function", "status")
    for d in devices:
        table.add_row(d["name"], d["asset"], d["owner"], d["function"], d["status"])
    out.print(table)


@subcommand(cli, "history")
def history_command(name: str) -> None:
    """Show a device's status history, one change a line (from → to, when, by, run, note)."""
    with Context().session() as session:
        for change in service.history(session, name):
            run = f" run {change.run_id}" if change.run_id else ""
            out.print(
                f"{change.changed_at:%Y-%m-%d %H:%M:%S} {change.from_status or '—'} → "
                f"{change.to_status} by {change.changed_by}{run}: {change.note}",
                markup=False,
                highlight=False,
            )
