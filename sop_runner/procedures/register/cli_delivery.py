"""`sop register delivery …` (SOP 1.1: dock → staging → completeness) and `sop register
berita-acara` (SOP 1.4 step 6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, command, out, subcommand
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.register import receiving
from sop_runner.procedures.register.cli import change, print_json, say

deliveries = typer.Typer(help=_("SOP 1.1: deliveries at the loading dock, staging, completeness."))


def attach(cli: typer.Typer) -> None:
    """Given the `sop register` app, add the delivery group."""
    cli.add_typer(deliveries, name="delivery")
    command(cli, berita_acara_command, "berita-acara")


def _devices(texts: list[str], fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Given NAME[:SERIAL] texts and fields common to them, return the devices."""
    result = []
    for text in texts:
        name, _sep, serial = text.partition(":")
        if not name.strip():
            raise SopError(
                _("--device: {text!r} is not allowed; give NAME or NAME:SERIAL").format(text=text)
            )
        result.append({"name": name.strip(), "serial": serial.strip(), **fields})
    return result


@subcommand(deliveries, "receive")
def receive_command(
    vendor: Annotated[str, typer.Option(help=_("who delivered (vendor/supplier)"))],
    document: Annotated[str, typer.Option(help=_("the delivery note number (surat jalan)"))],
    item: Annotated[list[str], typer.Option(help=_("packing list entry ITEM=QTY (repeat)"))],
    device: Annotated[
        list[str] | None, typer.Option(help=_("NAME or NAME:SERIAL (repeat)"))
    ] = None,
    kind: Annotated[str | None, typer.Option(help=_("the devices' kind"))] = None,
    model: Annotated[str | None, typer.Option(help=_("the devices' model"))] = None,
    u_height: Annotated[int | None, typer.Option("--u-height")] = None,
    power_w: Annotated[int | None, typer.Option("--power-w")] = None,
    arrived: Annotated[str | None, typer.Option(help=_("arrival time, ISO with zone"))] = None,
    as_: As = None,
) -> None:
    """Step 1: record a delivery at the loading dock and register its devices (received)."""
    items = receiving.packing_list(item)
    common = {
        k: v
        for k, v in {"kind": kind, "model": model, "u_height": u_height, "power_w": power_w}.items()
        if v is not None
    }
    when = None
    if arrived:
        try:
            when = datetime.fromisoformat(arrived)
        except ValueError:
            raise SopError(
                _("--arrived: {arrived!r} is not an ISO time with its zone").format(arrived=arrived)
            ) from None
    made = change(
        as_,
        lambda s, who: (
            receiving.receive(
                s, who, vendor, document, items, _devices(device or [], common), when
            ).id
        ),
    )
    say(_("delivery {delivery} recorded at the loading dock").format(delivery=made))


@subcommand(deliveries, "stage")
def stage_command(delivery: int, as_: As = None) -> None:
    """Step 2: move a delivery from the loading dock to the staging area."""
    late = change(as_, lambda s, who: receiving.late(receiving.stage(s, delivery, who)))
    say(_("delivery {delivery} in the staging area").format(delivery=delivery))
    if late:
        say(
            _("WARNING: waited at the loading dock {late}, past its Mutu Baku of 1 Hari").format(
                late=late
            )
        )


@subcommand(deliveries, "check")
def check_command(
    delivery: int,
    found: Annotated[list[str], typer.Option(help=_("ITEM=QTY found (repeat)"))],
    note: Annotated[str, typer.Option(help=_("condition of the goods"))] = "",
    as_: As = None,
) -> None:
    """Step 3: record the completeness check against the packing list."""
    counts = {e["item"]: e["qty"] for e in receiving.packing_list(found)}
    rows = change(as_, lambda s, who: receiving.check(s, delivery, counts, who, note))
    for r in rows:
        mark = _("complete") if r["ok"] else _("SHORT")
        say(f"{r['item']}: {r['found']}/{r['qty']} {mark}")


@subcommand(deliveries, "list")
def list_command(as_json: Json = False) -> None:
    """List deliveries; those waiting at the dock past 1 Hari are marked late."""
    with Context().session() as session:
        rows = [receiving.delivery_dict(session, d) for d in receiving.deliveries(session)]
    if as_json:
        print_json({"schema": "sop.register-deliveries/1", "deliveries": rows})
        return
    table = Table(
        "id",
        _("vendor"),
        _("document"),
        _("arrived"),
        _("staged"),
        _("complete"),
        _("late h"),
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["vendor"],
            r["document"],
            r["arrived_at"][:16],
            (r["staged_at"] or "")[:16],
            {True: _("yes"), False: _("NO"), None: ""}[r["complete"]],
            str(r["late_hours"] or ""),
        )
    out.print(table)


@subcommand(deliveries, "overdue")
def overdue_command(
    notify: Annotated[bool, typer.Option(help=_("send a notice (site.yml notify:)"))] = False,
) -> None:
    """Deliveries still at the loading dock past their Mutu Baku (1 Hari); exit 1 if any."""
    ctx = Context()
    with ctx.session() as session:
        waiting = [
            receiving.delivery_dict(session, d)
            for d in receiving.deliveries(session)
            if d.staged_at is None and receiving.late(d)
        ]
    for r in waiting:
        say(
            _(
                "delivery {delivery} ({vendor}, {document}): at the loading dock "
                "{hours} hours, past its Mutu Baku of 1 Hari"
            ).format(
                delivery=r["id"], vendor=r["vendor"], document=r["document"], hours=r["late_hours"]
            )
        )
    if waiting and notify:
        from sop_runner.notify import Notice, send

        body = "\n".join(
            _("- delivery {delivery} from {vendor}").format(delivery=r["id"], vendor=r["vendor"])
            for r in waiting
        )
        send(ctx, Notice("register.dock_overdue", _("Devices waiting at the loading dock"), body))
    if waiting:
        raise typer.Exit(1)


def berita_acara_command(
    request: int,
    scan: Annotated[
        Path | None, typer.Option(help=_("the scan of the copy the vendor signed"))
    ] = None,
    vendor_name: Annotated[
        str, typer.Option("--vendor-name", help=_("who signed for the vendor"))
    ] = "",
    vendor_company: Annotated[str, typer.Option("--vendor-company", help=_("the vendor"))] = "",
    acknowledge: Annotated[
        bool, typer.Option(help=_("penanggung jawab: sign it as known (diketahui)"))
    ] = False,
    folder: Annotated[
        Path | None, typer.Option("--out", help=_("folder for the PDF, HTML and Markdown"))
    ] = None,
    as_: As = None,
) -> None:
    """SOP 1.4 step 6: record the vendor's signed scan, acknowledge it, issue the document."""
    from sop_runner.procedures.register import berita_acara, facility

    if scan is not None:
        change(
            as_,
            lambda s, who: facility.record_scan(s, request, scan, vendor_name, who, vendor_company),
        )
        say(_("request {request}: scan {scan} recorded").format(request=request, scan=scan.name))
    if acknowledge:
        change(as_, lambda s, who: facility.acknowledge(s, request, who))
        say(_("request {request}: berita acara acknowledged").format(request=request))
    if folder is not None:
        paths = berita_acara.issue_berita_acara(Context(), request, folder)
        if scan is not None:
            paths.append(berita_acara.attach_scan(scan, folder, request))
        for path in paths:
            out.print(str(path), markup=False, highlight=False)
