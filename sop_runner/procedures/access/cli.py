"""`sop access`: the petugas' commands of SOP 2.1–2.3 (typer functions calling the book)."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer

from sop_runner.cli.options import As, Json, Lang, choose_language, duration, operator_name, out
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.durations import compact
from sop_runner.procedures.access import (
    HELP,
    book,
    documents,
    door,
    policy,
    reconcile,
    retention,
)
from sop_runner.procedures.access.models import AccessEntry
from sop_runner.procedures.access.words import WORDS

cli = typer.Typer(help=HELP, no_args_is_help=True)

At = Annotated[
    str | None,
    typer.Option("--at", help="when it happened: 'YYYY-MM-DD HH:MM' (WIB) or ISO 8601"),
]
When = Annotated[
    str | None, typer.Option("--at", help="the moment to look at (default: now, $SOP_ACCESS_NOW)")
]


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


def _json(payload: dict[str, Any]) -> None:
    out.print(json.dumps(payload, indent=2, ensure_ascii=False), markup=False, highlight=False)


def _local(moment: datetime) -> str:
    return dates.local(moment, policy.ZONE).strftime("%Y-%m-%d %H:%M")


def _language(lang: str | None) -> str:
    """Given --lang (or None), return the language spoken (id unless asked otherwise)."""
    return choose_language(Context().settings, lang)


def _words(lang: str | None) -> dict[str, str]:
    return WORDS[_language(lang)]


def _id_number() -> str:
    """Read the identity number from standard input, or ask for it hidden: never an option
    (argv is visible to every user of the machine)."""
    if sys.stdin is not None and not sys.stdin.isatty():
        return sys.stdin.readline().strip()
    return str(typer.prompt("Nomor identitas", hide_input=True))


@cli.command("permit")
def permit_command(
    kind: Annotated[str, typer.Option("--kind", help="vendor or tamu")],
    name: Annotated[str, typer.Option("--name", help="the person's name")],
    organisation: Annotated[str, typer.Option("--organisation", help="their organisation")],
    purpose: Annotated[str, typer.Option("--purpose", help="why they enter")],
    valid: Annotated[str, typer.Option("--valid", help="how long it may be used")] = "1d",
    as_: As = None,
    lang: Lang = None,
) -> None:
    """The penanggung jawab signs a permission to enter (vendor: 2.1 step 1, tamu: 2.3 step 1)."""
    w = _words(lang)
    ctx = Context()
    row = book.permit(
        ctx,
        operator_name(as_),
        kind,
        name,
        organisation,
        purpose,
        duration(valid, "--valid", maximum=timedelta(days=31)),
    )
    _say(
        w["permitted"].format(id=row.id, kind=w[row.kind], name=name, until=_local(row.valid_until))
    )


@cli.command("checkin")
def checkin_command(
    kind: Annotated[str, typer.Option("--kind", help="vendor, petugas or tamu")],
    purpose: Annotated[str, typer.Option("--purpose", help="why (alasan yang jelas)")],
    room: Annotated[list[str], typer.Option("--room", help="a place of the site (repeat)")],
    rules_acknowledged: Annotated[
        bool, typer.Option("--rules-acknowledged", help="the rules of the kind were acknowledged")
    ] = False,
    name: Annotated[str | None, typer.Option("--name", help="vendor's or guest's name")] = None,
    organisation: Annotated[str | None, typer.Option("--organisation")] = None,
    petugas: Annotated[
        str | None, typer.Option("--petugas", help="the petugas entering (default: --as)")
    ] = None,
    coordination: Annotated[
        str | None, typer.Option("--coordination", help="vendor: prior coordination reference")
    ] = None,
    permission: Annotated[
        int | None, typer.Option("--permission", help="the PJ's signed permission id")
    ] = None,
    escort: Annotated[str | None, typer.Option("--escort", help="the escorting petugas")] = None,
    id_type: Annotated[
        str | None,
        typer.Option("--id-type", help="KTP, SIM or PASPOR (the number is read from stdin)"),
    ] = None,
    gadgets: Annotated[
        str | None, typer.Option("--gadgets", help="guest: gadgets deposited")
    ] = None,
    request: Annotated[int | None, typer.Option("--request", help="the 2.1–2.3 request")] = None,
    at: At = None,
    as_: As = None,
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    """Record someone entering the data center in the access log book (your signed action)."""
    w = _words(lang)
    visit = book.Visit(
        kind=kind,
        rooms=tuple(room),
        purpose=purpose,
        name=name,
        organisation=organisation,
        petugas=petugas,
        coordination=coordination,
        permission=permission,
        escort=escort,
        id_type=id_type,
        gadgets=gadgets,
        rules_acknowledged=rules_acknowledged,
        at=at,
        request_id=request,
    )
    number = _id_number() if kind in ("vendor", "tamu") and id_type else None
    row = book.check_in(Context(), visit, operator_name(as_), number)
    if as_json:
        _json({"schema": "sop.access.entry/1", **_entry_json(row)})
        return
    _say(
        w["checked_in"].format(
            id=row.id, name=row.person_name, kind=w[row.kind], until=_local(row.allowed_until)
        )
    )


@cli.command("checkout")
def checkout_command(
    entry: int,
    door_locked: Annotated[
        bool, typer.Option("--door-locked", help="the door was locked and checked")
    ] = False,
    id_returned: Annotated[bool, typer.Option("--id-returned", help="the ID went back")] = False,
    gadgets_returned: Annotated[
        bool, typer.Option("--gadgets-returned", help="the gadgets went back")
    ] = False,
    at: At = None,
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Record someone leaving: time out, ID and gadgets returned, door locked (signed)."""
    w = _words(lang)
    leaving = book.Leaving(entry, door_locked, id_returned, gadgets_returned, at)
    row = book.check_out(Context(), leaving, operator_name(as_))
    assert row.time_out is not None
    _say(
        w["checked_out"].format(
            id=row.id, at=_local(row.time_out), duration=compact(row.time_out - row.time_in)
        )
    )


@cli.command("extend")
def extend_command(
    entry: int,
    by: Annotated[str, typer.Option("--by", help="how much longer, e.g. 30m, 2h")],
    reason: Annotated[str, typer.Option("--reason", help="why the stay is extended")],
    at: At = None,
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Extend a stay past the Mutu Baku with a reason (the PJ signs for vendors and guests)."""
    w = _words(lang)
    ext = book.extend(
        Context(),
        entry,
        duration(by, "--by", maximum=timedelta(days=1)),
        reason,
        operator_name(as_),
        at,
    )
    with Context().session() as session:
        row = session.get(AccessEntry, entry)
        assert row is not None
        until = _local(row.allowed_until)
    _say(w["extended"].format(id=entry, by=compact(timedelta(seconds=ext.seconds)), until=until))


def _entry_json(row: AccessEntry) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.person_name,
        "organisation": row.organisation,
        "operator": row.operator,
        "rooms": row.rooms,
        "authorisation": row.authorisation,
        "permission": row.permission_id,
        "escort": row.escort,
        "id_type": row.id_type,
        "id_last4": row.id_last4,
        "time_in": row.time_in.isoformat(),
        "allowed_until": row.allowed_until.isoformat(),
        "time_out": row.time_out.isoformat() if row.time_out else None,
    }


def _presence_json(found: list[book.Presence], at: datetime, schema: str) -> dict[str, Any]:
    return {
        "schema": schema,
        "at": at.isoformat(),
        "inside": [
            {
                **_entry_json(p.entry),
                "allowed_until": p.allowed_until.isoformat(),
                "overdue_seconds": int(p.overdue.total_seconds()),
            }
            for p in found
        ],
    }


def _show(found: list[book.Presence], w: dict[str, str]) -> None:
    if not found:
        _say(w["nobody"])
    for p in found:
        over = w["overdue_line"].format(by=compact(p.overdue)) if p.overdue else ""
        _say(
            w["inside_line"].format(
                id=p.entry.id,
                kind=w[p.entry.kind],
                name=p.entry.person_name,
                at=_local(p.entry.time_in),
                until=_local(p.allowed_until),
                over=over,
            )
        )


def _moment(at: str | None) -> datetime:
    return policy.parse_time(at) if at else policy.now()


@cli.command("inside")
def inside_command(at: When = None, lang: Lang = None, as_json: Json = False) -> None:
    """Who is inside the data center now (or at --at), against the Mutu Baku."""
    w = _words(lang)
    moment = _moment(at)
    found = book.inside(Context(), moment)
    if as_json:
        _json(_presence_json(found, moment, "sop.access.inside/1"))
        return
    _show(found, w)


@cli.command("overdue")
def overdue_command(at: When = None, lang: Lang = None, as_json: Json = False) -> None:
    """Who is inside past the Mutu Baku (vendor 8 Jam, petugas 3 Jam, tamu 10 Menit).

    Exit 1 when someone is (for cron and AWX), and notify (site.yml `notify:`).
    """
    w = _words(lang)
    moment = _moment(at)
    ctx = Context()
    found = book.overdue(ctx, moment)
    if as_json:
        _json(_presence_json(found, moment, "sop.access.overdue/1"))
    else:
        _show(found, w)
    if found:
        _notify(ctx, found, w)
        raise typer.Exit(1)


def _notify(ctx: Context, found: list[book.Presence], w: dict[str, str]) -> None:
    """Given the overdue visits, send one notice of those not told yet (at this allowed end)."""
    from sop_runner.procedures.access import alerts

    alerts.send_overdue(ctx, found, w)


Out = Annotated[
    Path | None, typer.Option("--out", help="folder for the files (default: <data>/reports/access)")
]
Formats = Annotated[str, typer.Option("--format", help="pdf,html,md (any of them)")]


def _out(ctx: Context, folder: Path | None) -> Path:
    return folder or ctx.settings.reports_dir / "access"


@cli.command("badge")
def badge_command(
    pin: Annotated[str, typer.Argument(help="the door terminal's user number")],
    petugas: Annotated[str, typer.Option("--petugas", help="the petugas it belongs to")],
    as_: As = None,
) -> None:
    """Name the petugas a door terminal's user number (PIN) belongs to (signed)."""
    door.set_badge(Context(), pin, petugas, operator_name(as_))
    _say(f"PIN {pin.strip()} = {petugas}")


@cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(help="the door's file (ZKTeco attlog or CSV)")],
    fmt: Annotated[str, typer.Option("--format", help="zkteco or csv")] = "zkteco",
    as_: As = None,
    lang: Lang = None,
) -> None:
    """Import the door's own record (face / fingerprint terminal export, SOP 2.2 step 2)."""
    w = _words(lang)
    new, skipped = door.import_file(Context(), file, fmt, operator_name(as_))
    _say(w["imported"].format(count=new, file=file.name, skipped=skipped))


def _period(since: str | None, until: str | None) -> tuple[datetime | None, datetime | None]:
    return (
        policy.parse_time(since, "--since") if since else None,
        policy.parse_time(until, "--until") if until else None,
    )


@cli.command("reconcile")
def reconcile_command(
    since: Annotated[str | None, typer.Option("--since", help="from (WIB)")] = None,
    until: Annotated[str | None, typer.Option("--until", help="until (WIB)")] = None,
    report: Annotated[bool, typer.Option("--report", help="write the PJ's report")] = False,
    out_dir: Out = None,
    formats: Formats = "pdf,html,md",
    lang: Lang = None,
    as_json: Json = False,
) -> None:
    """Hold the log book against the door's record; list the anomalies (exit 1 when any)."""
    from sop_runner.documents.publish import formats_from

    w = _words(lang)
    chosen = formats_from(formats) if report else ()
    start, end = _period(since, until)
    ctx = Context()
    found = reconcile.find(ctx, start, end)
    if as_json:
        _json(
            {
                "schema": "sop.access.anomalies/1",
                "anomalies": [
                    {
                        "kind": a.kind,
                        "at": a.at.isoformat(),
                        "pin": a.pin,
                        "entry": a.entry_id,
                        "who": a.who,
                    }
                    for a in found
                ],
            }
        )
    else:
        for a in found:
            _say(
                f"{_local(a.at)} {w[a.kind]}: {a.who} "
                f"(PIN {a.pin or '-'}, {w['entry']} {a.entry_id or '-'})"
            )
        if not found:
            _say(w["clean"])
    if report:
        with ctx.session() as session:
            span = reconcile.window(session, start, end)
        period = f"{_local(span[0])} – {_local(span[1])} WIB" if span else "-"
        spoken = "en" if w is WORDS["en"] else "id"
        paths = documents.anomalies(ctx, found, period, spoken, _out(ctx, out_dir), chosen)
        for path in paths:
            _say(str(path))
    if found:
        raise typer.Exit(1)


report_cli = typer.Typer(help="The documents of the access log book.", no_args_is_help=True)
cli.add_typer(report_cli, name="report")


@report_cli.command("month")
def month_command(
    month: Annotated[str, typer.Argument(help="YYYY-MM")],
    out_dir: Out = None,
    formats: Formats = "pdf,html,md",
    lang: Lang = None,
) -> None:
    """The monthly Buku Log akses as an official document (every visit, Mutu Baku, paraf)."""
    from sop_runner.documents.publish import formats_from

    chosen = _language(lang)
    ctx = Context()
    for path in documents.monthly(ctx, month, chosen, _out(ctx, out_dir), formats_from(formats)):
        _say(str(path))


@report_cli.command("history")
def history_command(
    person: Annotated[str, typer.Argument(help="the name in the log book, or a petugas")],
    out_dir: Out = None,
    formats: Formats = "pdf,html,md",
    lang: Lang = None,
) -> None:
    """One person's visits as an official document."""
    from sop_runner.documents.publish import formats_from

    chosen = _language(lang)
    ctx = Context()
    for path in documents.history(ctx, person, chosen, _out(ctx, out_dir), formats_from(formats)):
        _say(str(path))


retention_cli = typer.Typer(
    help="Anonymise old log book entries (a petugas proposes, the PJ approves, then apply).",
    no_args_is_help=True,
)
cli.add_typer(retention_cli, name="retention")
Check = Annotated[bool, typer.Option("--check", help="say what it would do; change nothing")]


@retention_cli.command("propose")
def retention_propose(
    older_than: Annotated[
        str | None,
        typer.Option("--older-than", help="period kept (default $SOP_ACCESS_RETENTION, 365d)"),
    ] = None,
    check: Check = False,
    as_: As = None,
) -> None:
    """Propose anonymising the entries closed before the retention period (signed)."""
    found = retention.propose(Context(), older_than, operator_name(as_), check)
    _say(("(--check) " if check else "") + found.says())


@retention_cli.command("approve")
def retention_approve(proposal: int, as_: As = None) -> None:
    """The penanggung jawab approves a retention proposal (signed; not its proposer)."""
    retention.approve(Context(), proposal, operator_name(as_))
    _say(f"retention {proposal}: disetujui")


@retention_cli.command("apply")
def retention_apply(proposal: int, check: Check = False, as_: As = None) -> None:
    """Anonymise exactly the entries of an approved proposal (signed, audited)."""
    row = retention.apply(Context(), proposal, operator_name(as_), check)
    verb = "akan menganonimkan" if check else "dianonimkan"
    prefix = "(--check) " if check else ""
    _say(
        f"{prefix}retention {row.id}: {verb} {len(row.entries)} entri, {len(row.permissions)} izin"
    )
