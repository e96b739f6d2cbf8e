"""The periodic reports of SOP 6.1 and 6.2 on a schedule: systemd timers or cron lines.

The document asks for the records "secara berkala" and a periodic report; these run
`sop monitoring report --period weekly|monthly` and `sop monitoring network --period
weekly` by the installed `sop`'s absolute path, with the settings (and the Prometheus
URL) in an environment file of their own (``monitoring.env``), so a backup schedule
rewriting its own settings file never takes the URL away (sop_runner/scheduling.py).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner import audit
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.scheduling import (
    FORMATS,
    UNIT_DIR,
    Scheduled,
    environment_text,
    refuse_backslash,
)

if TYPE_CHECKING:
    from sop_runner.context import Context

CRON_FILE = Path("/etc/cron.d/sop-pusatdata-monitoring")
ENV_FILE = Path("/etc/sop-pusatdata/monitoring.env")
ENV_NAME = "sop-pusatdata-monitoring.env"
CRON_HEADER = (
    "# sop-pusatdata monitoring reports (SOP 6.1 weekly and monthly, 6.2 weekly)\n"
    "SHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n"
)


def jobs(sop: str, operator: str | None) -> list[Scheduled]:
    """Given the installed `sop` and who signs the reports, return the scheduled reports."""
    refuse_backslash("sop", sop)
    if operator:
        refuse_backslash("--as", operator)
    who = f" --as {shlex.quote(operator)}" if operator else ""
    sop = shlex.quote(sop)
    return [
        Scheduled(
            "sop-monitoring-61-weekly",
            "sop-pusatdata SOP 6.1 laporan berkala mingguan",
            "0 6 * * 1",
            "Mon *-*-* 06:00:00",
            f"{sop} monitoring report --period weekly{who}",
        ),
        Scheduled(
            "sop-monitoring-61-monthly",
            "sop-pusatdata SOP 6.1 laporan berkala bulanan",
            "30 6 1 * *",
            "*-*-01 06:30:00",
            f"{sop} monitoring report --period monthly{who}",
        ),
        Scheduled(
            "sop-monitoring-62-weekly",
            "sop-pusatdata SOP 6.2 laporan jaringan mingguan",
            "0 7 * * 1",
            "Mon *-*-* 07:00:00",
            f"{sop} monitoring network --period weekly{who}",
        ),
    ]


def environment_path(fmt: str, dest: Path | None) -> Path:
    """Given the format and --dest, return where the reports' settings file goes."""
    if fmt not in FORMATS:
        raise SopError(_("--format: {fmt!r} is not allowed; use cron or systemd").format(fmt=fmt))
    if dest is None:
        return ENV_FILE
    return (dest if fmt == "systemd" else dest.parent) / ENV_NAME


def texts(scheduled: list[Scheduled], fmt: str, env_file: Path) -> dict[str, str]:
    """Given the jobs, return the files (name -> text) of the cron file or the units."""
    if fmt == "cron":
        lines = "".join(f"{job.cron_line(env_file)}\n" for job in scheduled)
        return {CRON_FILE.name: CRON_HEADER + lines}
    units: dict[str, str] = {}
    for job in scheduled:
        units |= job.units(env_file)
    return units


def install(
    ctx: Context,
    scheduled: list[Scheduled],
    fmt: str,
    dest: Path | None,
    prometheus: str,
    operator: str,
) -> list[Path]:
    """Given the jobs, write them and their settings file; audit it; return the files."""
    env_file = environment_path(fmt, dest)
    settings = environment_text(ctx.settings, {"SOP_PROMETHEUS_URL": prometheus})
    if fmt == "cron":
        folder = (dest or CRON_FILE).parent
        names = {CRON_FILE.name: dest.name if dest else CRON_FILE.name}
    else:
        folder = dest or UNIT_DIR
        names = {}
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, body in texts(scheduled, fmt, env_file).items():
        path = folder / names.get(name, name)
        path.write_text(body)
        os.chmod(path, 0o644)
        written.append(path)
    env_file.parent.mkdir(parents=True, exist_ok=True)
    env_file.write_text(settings)
    os.chmod(env_file, 0o644)
    written.append(env_file)
    with ctx.session() as session:
        audit.append(
            session,
            operator,
            "monitoring.schedule_installed",
            "schedule/monitoring",
            {"files": [str(p) for p in written], "format": fmt},
        )
    return written
