"""`sop backup`: schedules, overdue backups, result reports and the semester recap."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from sop_runner.cli.options import As, Json, Lang, choose_language, operator_name, subcommand
from sop_runner.context import Context
from sop_runner.i18n import _
from sop_runner.procedures.backup import FEATURE, compliance, schedules
from sop_runner.procedures.backup.documents import write_report
from sop_runner.procedures.backup.recap import write_recap

cli = typer.Typer(help=_(FEATURE.commands["backup"].help))

Out = Annotated[Path | None, typer.Option("--out", help=_("directory to write to"))]


@subcommand(cli, "report")
def report_command(request_id: int, lang: Lang = None, out: Out = None) -> None:
    """Write the result report of a 7.1–7.5 request (Laporan hasil backup/restore/penghapusan)."""
    ctx = Context()
    for path in write_report(ctx, request_id, choose_language(ctx.settings, lang), out):
        typer.echo(str(path))


@subcommand(cli, "recap")
def recap_command(
    semester: Annotated[str, typer.Option("--semester", help=_("YYYY-1 (Jan–Jun) or YYYY-2"))],
    lang: Lang = None,
    out: Out = None,
) -> None:
    """Write the semester recap of backups (SOP 7.2 narrative step 7)."""
    ctx = Context()
    for path in write_recap(ctx, semester, choose_language(ctx.settings, lang), out):
        typer.echo(str(path))


@subcommand(cli, "overdue")
def overdue_command(
    at: Annotated[str | None, typer.Option("--at", help=_("evaluate at this time (ISO)"))] = None,
    as_json: Annotated[bool, typer.Option("--json", help=_("machine-readable output"))] = False,
) -> None:
    """Show what is overdue against the minimums: data weekly, files monthly, retention yearly.

    Exit 1 when something is overdue (for monitoring), 0 when all is in time.
    """
    late = compliance.overdue_at(Context(), compliance.evaluation_time(at))
    typer.echo(compliance.as_json(late) if as_json else "\n".join(compliance.as_lines(late)))
    raise typer.Exit(1 if late else 0)


@subcommand(cli, "schedule")
def schedule_command(
    target: Annotated[str, typer.Option("--target", help=_("host to back up"))],
    repository: Annotated[str, typer.Option("--repository", help=_("restic repository"))],
    paths: Annotated[list[str] | None, typer.Option("--path", help=_("file path (7.1)"))] = None,
    databases: Annotated[
        list[str] | None, typer.Option("--database", help=_("ENGINE/NAME (7.2)"))
    ] = None,
    fmt: Annotated[str, typer.Option("--format", help=_("cron or systemd"))] = "cron",
    install: Annotated[bool, typer.Option("--install", help=_("write the entries"))] = False,
    dest: Annotated[
        Path | None, typer.Option("--dest", help=_("cron file or systemd unit directory"))
    ] = None,
    as_: As = None,
    operator: Annotated[
        str | None, typer.Option("--operator", hidden=True, help=_("old name of --as"))
    ] = None,
    as_json: Json = False,
) -> None:
    """Print (or --install) cron entries or systemd timers meeting the document's minimums."""
    ctx = Context()
    as_ = as_ or operator
    schedules.check_schedule(ctx.inventory, target, paths or [], databases or [], fmt)
    # cron and systemd start `sop` without the venv on PATH and without the caller's
    # settings: its absolute path, and the settings in an environment file.
    env_file = schedules.environment_file(fmt, dest)
    settings = schedules.environment_text(ctx.settings)
    entries = schedules.schedule_entries(
        target, repository, paths or [], databases or [], schedules.installed_sop(), as_, env_file
    )
    if as_json and not install:
        files = schedules.systemd_units(entries, env_file) if fmt == "systemd" else {}
        payload = {
            "schema": "sop.backup-schedule/1",
            "format": fmt,
            "target": target,
            "entries": entries,
            "files": {**files, str(env_file): settings},
        }
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
        return
    if not install:
        typer.echo(schedules.preview(entries, fmt, env_file), nl=False)
        return
    who = operator_name(as_) or "sop"
    for path in schedules.install(ctx, target, repository, fmt, entries, dest, who, env_file):
        typer.echo(path)
