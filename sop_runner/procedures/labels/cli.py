"""`sop label …`: print the labels (A4 65-up or 24 mm tape) and draw the schema (SOP 3.2)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, operator_name, out, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.labels import HELP, service

cli = typer.Typer(help=_(HELP))


@subcommand(cli, "print")
def print_command(
    sheet: Annotated[
        str, typer.Option("--sheet", help=_("`a4-65` (default) or `tape-24`"), show_default=False)
    ] = "a4-65",
    device: Annotated[
        list[str] | None, typer.Option("--device", help=_("only this device (and its cables)"))
    ] = None,
    what: Annotated[
        str, typer.Option("--what", help=_("racks,devices,cables"))
    ] = "racks,devices,cables",
    folder: Annotated[Path | None, typer.Option("--out", help=_("folder to write to"))] = None,
    as_: As = None,
) -> None:
    """Print labels: devices (code, name, QR), racks, and both ends of every cable."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    kinds = tuple(part.strip() for part in what.split(",") if part.strip())
    path = service.print_labels(ctx, acting.sign, sheet, kinds, device or None, folder)
    out.print(str(path), markup=False, highlight=False)


@subcommand(cli, "schema")
def schema_command(
    folder: Annotated[Path | None, typer.Option("--out", help=_("folder to write to"))] = None,
    as_: As = None,
) -> None:
    """Draw the network/device schema from the register (SVG and PDF; previous versions kept)."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    drawn = service.draw_schema(ctx, acting.sign, folder)
    state = _("new") if drawn.new else _("unchanged")
    out.print(
        _("schema version {version} ({state})").format(version=drawn.version, state=state),
        markup=False,
        highlight=False,
    )
    for path in drawn.files:
        out.print(str(path), markup=False, highlight=False)
