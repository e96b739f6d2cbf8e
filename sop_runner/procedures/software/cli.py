"""`sop software …`: the Daftar perangkat lunak Pusat Data (SOP 1.3): list, add, update,
remove, history, and the register as an official document."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any

import typer
from rich.table import Table

from sop_runner.cli.options import (
    As,
    Json,
    Lang,
    choose_language,
    operator_name,
    out,
    subcommand,
)
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.software import HELP, service

cli = typer.Typer(help=_(HELP))

Version = Annotated[str | None, typer.Option("--version", help=_("version installed"))]
Owner = Annotated[str | None, typer.Option("--owner", help=_("owning unit (OPD)"))]
Licence = Annotated[str | None, typer.Option("--licence", help=_("licence"))]
Notes = Annotated[str | None, typer.Option("--notes", help=_("notes"))]


def _date(text: str | None) -> date:
    """Given --date (YYYY-MM-DD) or None (today), return the date. Raise SopError if not one."""
    if text is None:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise SopError(
            _("--date: {text!r} is not a date; use YYYY-MM-DD").format(text=text)
        ) from None


def _as_dict(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "version": entry.version,
        "host": entry.host,
        "owner": entry.owner,
        "licence": entry.licence,
        "installed_by": entry.installed_by,
        "installed_on": entry.installed_on.isoformat(),
        "source_code_handed_over": entry.source_code_handed_over,
        "vendor_remote": entry.vendor_remote,
        "status": entry.status,
        "notes": entry.notes,
        "request": entry.request_id,
    }


@subcommand(cli, "add")
def add_command(
    name: str,
    host: Annotated[str, typer.Option("--host", help=_("the inventory host it is installed on"))],
    version: Annotated[str, typer.Option("--version", help=_("version installed"))],
    owner: Annotated[str, typer.Option("--owner", help=_("owning unit (OPD)"))] = "",
    licence: Annotated[str, typer.Option("--licence", help=_("licence"))] = "",
    on: Annotated[str | None, typer.Option("--date", help=_("installed on (YYYY-MM-DD)"))] = None,
    source_code: Annotated[
        bool, typer.Option("--source-code/--no-source-code", help=_("source code handed over"))
    ] = False,
    vendor_remote: Annotated[
        bool, typer.Option("--vendor-remote/--no-vendor-remote", help=_("installed by the vendor"))
    ] = False,
    notes: Annotated[str, typer.Option("--notes", help=_("notes"))] = "",
    as_: As = None,
) -> None:
    """Add a software to the register (signed by you)."""
    ctx = Context()
    # The store first: it defines every feature's tables (the register's rooms, which the
    # inventory's places are read from, too) before the inventory is read.
    ctx.engine  # noqa: B018
    if host not in ctx.inventory.hosts:
        raise SopError(_("--host: {host!r} is not a host of the inventory").format(host=host))
    acting = ctx.actor(operator_name(as_))
    values = {
        "name": name,
        "version": version,
        "host": host,
        "owner": owner,
        "licence": licence,
        "installed_on": _date(on),
        "source_code_handed_over": source_code,
        "vendor_remote": vendor_remote,
        "notes": notes,
    }
    with ctx.session() as session:
        entry = service.add_entry(session, values, acting.name, acting.sign)
        number = entry.id
    out.print(
        _("software {entry}: {name} {version} on {host} registered").format(
            entry=number, name=name, version=version, host=host
        ),
        markup=False,
    )


@subcommand(cli, "update")
def update_command(
    entry: int,
    version: Version = None,
    owner: Owner = None,
    licence: Licence = None,
    notes: Notes = None,
    reason: Annotated[str, typer.Option("--reason", help=_("why it changes"))] = "",
    as_: As = None,
) -> None:
    """Change an entry of the register (signed by you; the history keeps the old values)."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    given = {"version": version, "owner": owner, "licence": licence, "notes": notes}
    changes = {k: v for k, v in given.items() if v is not None}
    with ctx.session() as session:
        service.update_entry(session, entry, changes, acting.name, acting.sign, reason)
    out.print(_("software {entry}: updated").format(entry=entry), markup=False)


@subcommand(cli, "remove")
def remove_command(
    entry: int,
    reason: Annotated[str, typer.Option("--reason", help=_("why it leaves the register"))] = "",
    as_: As = None,
) -> None:
    """Take an entry out of the register (kept as removed, with its history; signed by you)."""
    ctx = Context()
    acting = ctx.actor(operator_name(as_))
    with ctx.session() as session:
        service.remove_entry(session, entry, acting.name, acting.sign, reason)
    out.print(_("software {entry}: removed").format(entry=entry), markup=False)


@subcommand(cli, "list")
def list_command(
    host: Annotated[str | None, typer.Option("--host", help=_("only this host"))] = None,
    removed: Annotated[bool, typer.Option("--removed", help=_("removed entries too"))] = False,
    as_json: Json = False,
) -> None:
    """List the software register."""
    with Context().session() as session:
        rows = [_as_dict(e) for e in service.entries(session, host, removed)]
    if as_json:
        payload = {"schema": "sop.software/1", "software": rows}
        out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)
        return
    table = Table(
        "id",
        _("name"),
        _("version"),
        "host",
        _("owner"),
        _("licence"),
        _("by"),
        _("date"),
        _("status"),
    )
    for r in rows:
        table.add_row(
            str(r["id"]),
            r["name"],
            r["version"],
            r["host"],
            r["owner"],
            r["licence"],
            r["installed_by"],
            r["installed_on"],
            r["status"],
        )
    out.print(table)


@subcommand(cli, "history")
def history_command(entry: int, as_json: Json = False) -> None:
    """Show an entry's changes, one a line (when, what, by whom, run, values)."""
    with Context().session() as session:
        changes = [
            {
                "at": c.changed_at.isoformat(timespec="seconds"),
                "action": c.action,
                "by": c.changed_by,
                "run": c.run_id,
                "values": c.values,
                "note": c.note,
            }
            for c in service.history(session, entry)
        ]
    if as_json:
        payload = {"schema": "sop.software-history/1", "entry": entry, "changes": changes}
        out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)
        return
    for c in changes:
        run = _(" run {run}").format(run=c["run"]) if c["run"] else ""
        out.print(
            _("{at} {action} by {by}{run}: {values} {note}").format(
                at=c["at"],
                action=c["action"],
                by=c["by"],
                run=run,
                values=json.dumps(c["values"]),
                note=c["note"],
            ),
            markup=False,
            highlight=False,
        )


@subcommand(cli, "daftar")
def daftar_command(
    lang: Lang = None,
    formats: Annotated[str, typer.Option("--format", help=_("pdf,html,md"))] = "pdf,html,md",
) -> None:
    """Write the Daftar perangkat lunak Pusat Data as an official document (PDF, HTML, Markdown)."""
    from sop_runner.documents.publish import formats_from
    from sop_runner.procedures.software.documents import write_register

    ctx = Context()
    chosen = choose_language(ctx.settings, lang)
    for path in write_register(ctx, chosen, formats_from(formats)):
        out.print(str(path), markup=False, highlight=False)
