"""`sop register delivery …` (SOP 1.1: dock → staging → completeness) and `sop register
berita-acara` (SOP 1.4 step 6)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, out
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.procedures.register import receiving
from sop_runner.procedures.register.cli import change, print_json

deliveries = typer.Typer(help="SOP 1.1: deliveries at the loading dock, staging, completeness.")


def attach(cli: typer.Typer) -> None:
    """Given the `sop register` app, add the delivery group."""
    cli.add_typer(deliveries, name="delivery")
    cli.command("berita-acara")(berita_acara_command)


def _devices(texts: list[str], fields: dict[str, Any]) -> list[dict[str, Any]]:
    """Given NAME[:SERIAL] texts and fields common to them, return the devices."""
    result = []
    for text in texts:
        name, _, serial = text.partition(":")
        if not name.strip():
            raise SopError(f"--device: {text!r} is not allowed; give NAME or NAME:SERIAL")
        result.append({"name": name.strip(), "serial": serial.strip(), **fields})
    return result


@deliveries.command("receive")
def receive_command(
    vendor: Annotated[str, typer.Option(help="who delivered (vendor/supplier)")],
    document: Annotated[str, typer.Option(help="the delivery note number (surat jalan)")],
    item: Annotated[list[str], typer.Option(help="packing list entry ITEM=QTY (repeat)")],
    device: Annotated[list[str] | None, typer.Option(help="NAME or NAME:SERIAL (repeat)")] = None,
    kind: Annotated[str | None, typer.Option(help="the devices' kind")] = None,
    model: Annotated[str | None, typer.Option(help="the devices' model")] = None,
    u_height: Annotated[int | None, typer.Option("--u-height")] = None,
    power_w: Annotated[int | None, typer.Option("--power-w")] = None,
    arrived: Annotated[str | None, typer.Option(help="arrival time, ISO with zone")] = None,
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
            raise SopError(f"--arrived: {arrived!r} is not an ISO time with its zone") from None
    made = change(
        as_,
        lambda s, who: (
            receiving.receive(
                s, who, vendor, document, items, _devices(device or [], common), when
            ).id
        ),
    )
    out.print(f"delivery {made} recorded at the loading dock", markup=False, highlight=False)


@deliveries.command("stage")
def stage_command(delivery: int, as_: As = None) -> None:
    """Step 2: move a delivery from the loading dock to the staging area."""
    late = change(as_, lambda s, who: receiving.late(receiving.stage(s, delivery, who)))
    out.print(f"delivery {delivery} in the staging area", markup=False, highlight=False)
    if late:
        out.print(
            f"PERINGATAN: menunggu di loading dock {late} melewati Mutu Baku 1 Hari",
            markup=False,
            highlight=False,
        )


@deliveries.command("check")
def check_command(
    delivery: int,
    found: Annotated[list[str], typer.Option(help="ITEM=QTY found (repeat)")],
    note: Annotated[str, typer.Option(help="condition of the goods")] = "",
    as_: As = None,
) -> None:
    """Step 3: record the completeness check against the packing list."""
    counts = {e["item"]: e["qty"] for e in receiving.packing_list(found)}
    rows = change(as_, lambda s, who: receiving.check(s, delivery, counts, who, note))
    for r in rows:
        mark = "lengkap" if r["ok"] else "KURANG"
        out.print(f"{r['item']}: {r['found']}/{r['qty']} {mark}", markup=False, highlight=False)


@deliveries.command("list")
def list_command(as_json: Json = False) -> None:
    """List deliveries; those waiting at the dock past 1 Hari are marked late."""
    with Context().session() as session:
        rows = [receiving.delivery_dict(session, d) for d in receiving.deliveries(session)]
    if as_json:
        print_json({"schema": "sop.register-deliveries/1", "deliveries": rows})
        return
    table = Table("id", "vendor", "document", "arrived", "staged", "complete", "late h")
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["vendor"],
            r["document"],
            r["arrived_at"][:16],
            (r["staged_at"] or "")[:16],
            {True: "ya", False: "TIDAK", None: ""}[r["complete"]],
            str(r["late_hours"] or ""),
        )
    out.print(table)


@deliveries.command("overdue")
def overdue_command(
    notify: Annotated[bool, typer.Option(help="send a notice (site.yml notify:)")] = False,
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
        out.print(
            f"delivery {r['id']} ({r['vendor']}, {r['document']}): di loading dock "
            f"{r['late_hours']} jam melewati Mutu Baku 1 Hari",
            markup=False,
            highlight=False,
        )
    if waiting and notify:
        from sop_runner.notify import Notice, send

        body = "\n".join(f"- pengiriman {r['id']} dari {r['vendor']}" for r in waiting)
        send(ctx, Notice("register.dock_overdue", "Perangkat menunggu di loading dock", body))
    if waiting:
        raise typer.Exit(1)


def berita_acara_command(
    request: int,
    scan: Annotated[
        Path | None, typer.Option(help="the scan of the copy the vendor signed")
    ] = None,
    vendor_name: Annotated[
        str, typer.Option("--vendor-name", help="who signed for the vendor")
    ] = "",
    vendor_company: Annotated[str, typer.Option("--vendor-company", help="the vendor")] = "",
    acknowledge: Annotated[
        bool, typer.Option(help="penanggung jawab: sign it as known (diketahui)")
    ] = False,
    folder: Annotated[
        Path | None, typer.Option("--out", help="folder for the PDF, HTML and Markdown")
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
        out.print(f"request {request}: scan {scan.name} recorded", markup=False, highlight=False)
    if acknowledge:
        change(as_, lambda s, who: facility.acknowledge(s, request, who))
        out.print(f"request {request}: berita acara diketahui", markup=False, highlight=False)
    if folder is not None:
        paths = berita_acara.issue_berita_acara(Context(), request, folder)
        if scan is not None:
            paths.append(berita_acara.attach_scan(scan, folder, request))
        for path in paths:
            out.print(str(path), markup=False, highlight=False)
