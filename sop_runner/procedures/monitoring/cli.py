"""`sop monitoring`: the periodic reports of SOP 6.1 and 6.2, Prometheus's targets, incidents."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, Json, Lang, choose_language, operator_name, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.monitoring import HELP, analysis, periodic, prom

cli = typer.Typer(help=_(HELP), no_args_is_help=True)

Prometheus = Annotated[
    str | None,
    typer.Option("--prometheus", help=_("Prometheus URL (default: $SOP_PROMETHEUS_URL)")),
]
PeriodKind = Annotated[str | None, typer.Option("--period", help=_("weekly or monthly"))]
From = Annotated[str | None, typer.Option("--from", help=_("start: YYYY-MM-DD[THH:MM] (WIB)"))]
To = Annotated[str | None, typer.Option("--to", help=_("end: YYYY-MM-DD[THH:MM] (default: now)"))]
Hosts = Annotated[list[str] | None, typer.Option("--host", help=_("only this host (repeatable)"))]
Out = Annotated[Path | None, typer.Option("--out", help=_("directory to write to"))]


@subcommand(cli, "report")
def report_command(
    period: PeriodKind = None,
    start: From = None,
    end: To = None,
    host: Hosts = None,
    request: Annotated[
        int | None, typer.Option("--request", help=_("the 6.1 monitoring request it reports on"))
    ] = None,
    cpu_max: Annotated[float, typer.Option("--cpu-max", help=_("CPU threshold, %"))] = 80.0,
    memory_max: Annotated[float, typer.Option("--memory-max", help=_("RAM threshold, %"))] = 85.0,
    disk_max: Annotated[float, typer.Option("--disk-max", help=_("disk threshold, %"))] = 80.0,
    disk_full_days: Annotated[
        float, typer.Option("--disk-full-days", help=_("a disk full sooner is a problem"))
    ] = 30.0,
    prometheus: Prometheus = None,
    lang: Lang = None,
    out: Out = None,
    as_: As = None,
) -> None:
    """Write the periodic report of SOP 6.1 (graphs, analysis, problems, recommendations)."""
    from sop_runner.procedures.monitoring import report61

    ctx = Context()
    chosen = periodic.period_of(period, start, end)
    limits = analysis.Thresholds(cpu_max, memory_max, disk_max, disk_full_days)
    written = report61.write(
        ctx,
        operator_name(as_),
        prom.prometheus_url(prometheus),
        chosen,
        list(host or []),
        limits,
        choose_language(ctx.settings, lang),
        out,
        request,
    )
    for path in written.paths:
        typer.echo(str(path))
    for name, problem, fix in written.problems:
        typer.echo(f"{name}: {problem}; rekomendasi: {fix}", err=True)


@subcommand(cli, "network")
def network_command(
    period: PeriodKind = None,
    start: From = None,
    end: To = None,
    k: Annotated[float, typer.Option("--k", help=_("anomaly beyond mean ± k·σ"))] = 3.0,
    weeks: Annotated[int, typer.Option("--weeks", help=_("weeks of baseline"))] = 3,
    request: Annotated[
        int | None, typer.Option("--request", help=_("the 6.2 monitoring request it reports on"))
    ] = None,
    prometheus: Prometheus = None,
    lang: Lang = None,
    out: Out = None,
    as_: As = None,
) -> None:
    """Write the periodic report of SOP 6.2 (throughput graphs, anomalies, incidents)."""
    from sop_runner.procedures.monitoring import report62

    ctx = Context()
    found = report62.write(
        ctx,
        operator_name(as_),
        prom.prometheus_url(prometheus),
        periodic.period_of(period, start, end),
        k,
        weeks,
        choose_language(ctx.settings, lang),
        out,
        request,
    )
    for path in found.paths:
        typer.echo(str(path))
    for i in found.interfaces:
        for direction, a in i.anomalies:
            typer.echo(
                f"anomali {i.host} {i.device} {direction} {a.at.isoformat(timespec='minutes')}: "
                f"{a.value:.0f} B/s (baseline {a.mean:.0f} ± {k * a.sigma:.0f})",
                err=True,
            )


@subcommand(cli, "targets")
def targets_command(prometheus: Prometheus = None, as_json: Json = False) -> None:
    """Show Prometheus's scrape targets and their health; exit 1 if one is down."""
    found = prom.targets(prom.prometheus_url(prometheus))
    if as_json:
        typer.echo(json.dumps(found, indent=2, sort_keys=True))
    else:
        for t in found:
            typer.echo(f"{t['labels'].get('host', '?')} {t['health']} {t['url']} {t['error']}")
    raise typer.Exit(0 if found and all(t["health"] == "up" for t in found) else 1)


@subcommand(cli, "incidents")
def incidents_command(
    status: Annotated[str | None, typer.Option("--status", help=_("open or closed"))] = None,
    as_json: Json = False,
) -> None:
    """List the information security incidents (SOP 6.2 step 4)."""
    from sop_runner.procedures.monitoring import incidents

    rows = incidents.listing(Context(), status)
    if as_json:
        typer.echo(json.dumps(rows, indent=2, sort_keys=True))
        return
    for row in rows:
        typer.echo(
            _("incident {id} {status} {severity} {host}: {summary} (opened {at} by {by})").format(
                id=row["id"],
                status=row["status"],
                severity=row["severity"],
                host=row["host"],
                summary=row["summary"],
                at=row["opened_at"],
                by=row["opened_by"],
            )
        )


@subcommand(cli, "incident-close")
def incident_close_command(
    incident_id: int,
    note: Annotated[str, typer.Option("--note", help=_("what was done about it"))],
    as_: As = None,
) -> None:
    """Close an incident with what was done (a signed action of the person closing it)."""
    from sop_runner.procedures.monitoring import incidents

    row = incidents.close_incident(Context(), incident_id, note, operator_name(as_))
    typer.echo(
        _("incident {id} closed by {by}: {note}").format(
            id=row["id"], by=row["closed_by"], note=row["close_note"]
        )
    )


@subcommand(cli, "schedule")
def schedule_command(
    fmt: Annotated[str, typer.Option("--format", help=_("cron or systemd"))] = "systemd",
    install: Annotated[
        bool, typer.Option("--install", help=_("write the files (default: only show them)"))
    ] = False,
    dest: Annotated[
        Path | None, typer.Option("--dest", help=_("folder of the units, or the cron file"))
    ] = None,
    prometheus: Prometheus = None,
    as_: As = None,
) -> None:
    """Schedule the periodic reports: 6.1 weekly and monthly, 6.2 weekly."""
    from sop_runner.procedures.monitoring import schedule
    from sop_runner.scheduling import installed_sop

    ctx = Context()
    url = prom.prometheus_url(prometheus)
    env_file = schedule.environment_path(fmt, dest)
    if not install:
        jobs = schedule.jobs(installed_sop(), operator_name(as_))
        for name, body in schedule.texts(jobs, fmt, env_file).items():
            typer.echo(f"# --- {name}\n{body}")
        return
    # The reports the timers write are signed by the operator who installs them.
    acting = ctx.actor(operator_name(as_))
    jobs = schedule.jobs(installed_sop(), acting.name)
    for path in schedule.install(ctx, jobs, fmt, dest, url, acting.name):
        typer.echo(str(path))
