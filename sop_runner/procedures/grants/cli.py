"""`sop grant`: the petugas' commands of SOP 2.4 (typer functions calling the service)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from sop_runner.cli.options import As, Json, Lang, choose_language, operator_name, out, subcommand
from sop_runner.context import Context
from sop_runner.durations import compact
from sop_runner.i18n import N_, _
from sop_runner.procedures.grants import service
from sop_runner.procedures.grants.models import FirewallGrant, GrantSession
from sop_runner.procedures.grants.policy import (
    DEFAULT_DURATION,
    GrantWish,
    parse_day,
    parse_duration,
)

HELP = N_("SOP 2.4 remote access: time-limited port grants on the firewall.")
cli = typer.Typer(help=_(HELP), no_args_is_help=True)


# A grant's states, shown in the person's language (the records keep these words).
STATES = (N_("opening"), N_("open"), N_("scheduled"), N_("closed"), N_("failed"), N_("expired"))


def _left(grant: FirewallGrant, now: datetime) -> str:
    return compact(max(timedelta(0), grant.ends_at - now))


def _line(grant: FirewallGrant) -> str:
    # The grant's id stays the second word in every language (scripts read it there).
    return _(
        "grant {id} {status}: {user} {source} -> {target} ({destination}) {protocol}/{port} "
        "via {firewall}, until {until} ({left} left)"
    ).format(
        id=grant.id,
        status=_(grant.status),
        user=grant.user,
        source=grant.source,
        target=grant.target,
        destination=grant.destination,
        protocol=grant.protocol,
        port=grant.port,
        firewall=grant.firewall,
        until=grant.ends_at.isoformat(timespec="seconds"),
        left=_left(grant, datetime.now(UTC)),
    )


def _say(text: str) -> None:
    out.print(text, markup=False, highlight=False)


@subcommand(cli, "open")
def open_command(
    user: Annotated[str, typer.Option("--user", help=_("the remote user (pengguna)"))],
    source: Annotated[str, typer.Option("--source", help=_("user's IPv4 address or network"))],
    target: Annotated[str, typer.Option("--target", help=_("target host of the inventory"))],
    port: Annotated[
        int, typer.Option("--port", help=_("port to open (not 21, 53, 80, 443, 3306)"))
    ],
    reason: Annotated[str, typer.Option("--reason", help=_("why the remote access is needed"))],
    protocol: Annotated[str, typer.Option("--protocol", help=_("tcp or udp"))] = "tcp",
    start: Annotated[str, typer.Option("--start", help=_("now, or a date-time"))] = "now",
    duration: Annotated[
        str,
        typer.Option("--duration", help=_("e.g. 60m, 1h30m, 45s (max: $SOP_GRANT_MAX_DURATION)")),
    ] = DEFAULT_DURATION,
    vendor_key: Annotated[
        Path | None,
        typer.Option(
            "--vendor-key",
            help=_(
                "the remote user's own SSH public key: certified for this grant's time "
                "(the certificate is written beside it, NAME-cert.pub)"
            ),
        ),
    ] = None,
    account: Annotated[
        str, typer.Option("--account", help=_("the account on the target it logs in to"))
    ] = "vendor",
    as_: As = None,
) -> None:
    """Open a port for a remote user for the agreed time (SOP 2.4 step 2)."""
    parse_duration(duration, "--duration")  # its form first, before who asks is looked up
    wish = GrantWish(
        user, source, target, port, protocol, start, duration, reason, vendor_key, account
    )
    ctx = Context()
    grant = service.open_grant(ctx, wish, operator_name(as_))
    _say(_line(grant))
    _say_certificates(ctx, grant.id)


def _say_certificates(ctx: Context, grant_id: int) -> None:
    """Given a grant, say where its newest certificate is and what it allows."""
    from sop_runner.procedures.grants import accounts

    rows = accounts.certificates(ctx, grant_id)
    if rows:
        newest = rows[-1]
        with ctx.session() as session:
            path = accounts.certificate_path_of(session, grant_id)
        _say(
            _("certificate {path}: {principal} until {until} (key id '{key_id}')").format(
                path=path,
                principal=newest.principal,
                until=newest.valid_before.isoformat(timespec="seconds"),
                key_id=newest.key_id,
            )
        )


@subcommand(cli, "extend")
def extend_command(
    grant_id: Annotated[int, typer.Argument(help=_("grant id"))],
    by: Annotated[
        str, typer.Option("--by", help=_("e.g. 30m; start to end stays within the maximum"))
    ] = DEFAULT_DURATION,
    as_: As = None,
) -> None:
    """Move the end of a grant later (SOP 2.4 step 4: 'dapat memperpanjang durasi')."""
    parse_duration(by, "--by")  # its form first, before who asks is looked up
    ctx = Context()
    _say(_line(service.extend_grant(ctx, grant_id, by, operator_name(as_))))
    _say_certificates(ctx, grant_id)


@subcommand(cli, "revoke")
def revoke_command(
    grant_id: Annotated[int, typer.Argument(help=_("grant id"))],
    reason: Annotated[str, typer.Option("--reason", help=_("why it is closed early"))],
    as_: As = None,
) -> None:
    """Close a grant now (SOP 2.4 step 4)."""
    grant = service.revoke_grant(Context(), grant_id, reason, operator_name(as_))
    _say(_("grant {id} closed (revoke)").format(id=grant.id))


@subcommand(cli, "sessions")
def sessions_command(
    grant_id: Annotated[int, typer.Argument(help=_("grant id"))],
    as_: As = None,
    as_json: Json = False,
) -> None:
    """Read the sessions a grant's certificates opened from the target's sshd log (SOP 2.4 step 5).

    They are the remote account log of the grant.
    """
    rows = service.read_sessions(Context(), grant_id, operator_name(as_))
    if as_json:
        _say(json.dumps(sessions_json(grant_id, rows), indent=2))
        return
    if not rows:
        _say(_("grant {id}: no session in the target's sshd log").format(id=grant_id))
    for row in rows:
        closed = row.closed_at.isoformat(timespec="seconds") if row.closed_at else _("still open")
        _say(
            _("{account}@{host} from {source}:{port} {opened} -> {closed} ({key_id})").format(
                account=row.account,
                host=row.host,
                source=row.source,
                port=row.port,
                opened=row.opened_at.isoformat(timespec="seconds"),
                closed=closed,
                key_id=row.key_id,
            )
        )


def sessions_json(grant_id: int, rows: list[GrantSession]) -> dict[str, Any]:
    """Given a grant and its sessions (GrantSession rows), return `sop grant sessions --json`
    (docs/schemas/grant-sessions.schema.json)."""
    return {
        "schema": "sop.grant-sessions/1",
        "grant": grant_id,
        "sessions": [
            {
                "account": r.account,
                "host": r.host,
                "source": r.source,
                "port": r.port,
                "key_id": r.key_id,
                "opened_at": r.opened_at.isoformat(timespec="seconds"),
                "closed_at": r.closed_at.isoformat(timespec="seconds") if r.closed_at else None,
            }
            for r in rows
        ],
    }


@subcommand(cli, "list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help=_("also closed and failed grants"))] = False,
    as_json: Json = False,
) -> None:
    """Show the active grants with their time left."""
    rows = service.list_grants(Context(), all_)
    now = datetime.now(UTC)
    live = ("opening", "open", "scheduled")
    if as_json:
        grants = [
            {
                "id": g.id,
                "status": g.status,
                "user": g.user,
                "source": g.source,
                "target": g.target,
                "destination": g.destination,
                "protocol": g.protocol,
                "port": g.port,
                "firewall": g.firewall,
                "starts_at": g.starts_at.isoformat(timespec="seconds"),
                "ends_at": g.ends_at.isoformat(timespec="seconds"),
                "seconds_left": (
                    max(0, int((g.ends_at - now).total_seconds())) if g.status in live else None
                ),
                "closed_by": g.closed_by,
            }
            for g in rows
        ]
        _say(json.dumps({"schema": "sop.grants/1", "grants": grants}, indent=2))
        return
    if not rows:
        out.print(_("no active grants") if not all_ else _("no grants"), markup=False)
        return
    table = Table(
        "id",
        _("status"),
        _("user"),
        _("source"),
        "target",
        "port",
        "firewall",
        _("ends (UTC)"),
        _("left"),
        _("closed by"),
    )
    for g in rows:
        table.add_row(
            str(g.id),
            _(g.status),
            g.user,
            g.source,
            f"{g.target} ({g.destination})",
            f"{g.protocol}/{g.port}",
            g.firewall,
            g.ends_at.strftime("%Y-%m-%d %H:%M:%S"),
            _left(g, now) if g.status in live else "",
            g.closed_by or "",
        )
    out.print(table)
    # Why a grant failed: recorded once, said in the language of whoever lists it now.
    failed = [g.id for g in rows if g.status == "failed"]
    for grant_id, why in service.failures(Context(), failed).items():
        _say(_("grant {id} failed: {why}").format(id=grant_id, why=why))


@subcommand(cli, "reconcile")
def reconcile_command(
    firewall: Annotated[
        str | None, typer.Option("--firewall", help=_("one firewall (default: all)"))
    ] = None,
    as_: As = None,
) -> None:
    """Make the firewalls hold exactly the recorded grants; report what differed."""
    # Imported here, as documents below: `sop grant open` waits for neither.
    from sop_runner.procedures.grants import reconcile

    for o in reconcile.reconcile(Context(), operator_name(as_), firewall):
        out.print(
            _(
                "{firewall}: {anomalies} anomalies closed or reset, {restored} restored, "
                "{opened} scheduled opened, {settled} expired recorded"
            ).format(
                firewall=o.firewall,
                anomalies=len(o.anomalies),
                restored=len(o.restored),
                opened=len(o.opened),
                settled=o.settled,
            ),
            markup=False,
        )
        for a in o.anomalies + o.restored:
            out.print(anomaly_line(a), markup=False)


def anomaly_line(anomaly: dict[str, Any]) -> str:
    """Given an anomaly a reconciliation recorded, return its line in the person's language."""
    return _("  anomaly: {source} -> {destination} {protocol}/{port}: {what}").format(
        source=anomaly["source"],
        destination=anomaly["destination"],
        protocol=anomaly["protocol"],
        port=anomaly["port"],
        what=_(anomaly["what"]),
    )


@subcommand(cli, "report")
def report_command(
    since: Annotated[str | None, typer.Option("--from", help=_("first day (YYYY-MM-DD)"))] = None,
    until: Annotated[str | None, typer.Option("--to", help=_("day after the last"))] = None,
    lang: Lang = None,
    out_dir: Annotated[Path | None, typer.Option("--out", help=_("directory"))] = None,
) -> None:
    """Write the remote account log (daftar log akun remot) as Markdown and HTML."""
    from sop_runner.procedures.grants import documents

    ctx = Context()
    chosen = choose_language(ctx.settings, lang)
    period = parse_day(since, "--from"), parse_day(until, "--to")
    for path in documents.write_report(ctx, chosen, *period, out_dir):
        out.print(str(path), markup=False)
