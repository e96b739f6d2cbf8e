"""Schedules that meet the document's minimums: cron entries or systemd timers.

Each entry makes a request and runs it through `sop` (gates and records as for
a person at the terminal); the human steps are confirmed as "terjadwal"
(scheduled).  The texts run as root: they hold no secret, and the inputs that
reach them are checked first (``check_schedule``).

cron and systemd start the command with a bare environment: no venv on PATH, no
HOME, none of the caller's settings.  So the entries name the installed `sop` by
its absolute path (``installed_sop``), and the settings it needs (trust file, data
and key folders, language) are in an environment file written beside them
(``environment_text``): systemd reads it as ``EnvironmentFile=``, cron sources it.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.inventory import Inventory
from sop_runner.scheduling import (  # noqa: F401  (installed_sop, … are this module's API too)
    ENV_FILE,
    ENV_NAME,
    SOURCE,
    cron_escape,
    cron_unescape,
    environment_file,
    environment_text,
    installed_sop,
    refuse_backslash,
    single_quoted,
    systemd_quote,
)

FORMATS = ("cron", "systemd")
ENGINES = ("mariadb", "mysql", "postgresql")
CRON_FILE = Path("/etc/cron.d/sop-pusatdata-backup")
UNIT_DIR = Path("/etc/systemd/system")
CRON_HEADER = (
    "# sop-pusatdata backup schedule (SOP 7.1 monthly, 7.2 weekly, 7.5 yearly)\n"
    "SHELL=/bin/sh\nPATH=/usr/local/bin:/usr/bin:/bin\n"
)

SCHEDULES = {
    # kind: (cron minute hour dom month dow, systemd OnCalendar, playbook, procedure)
    "database": ("30 1 * * 0", "Sun *-*-* 01:30:00", "backup_databases.yml", "7.2"),
    "file": ("30 2 1 * *", "*-*-01 02:30:00", "backup_files.yml", "7.1"),
    "retention": ("30 3 2 1 *", "*-01-02 03:30:00", "retention.yml", "7.5"),
}


def schedule_entries(
    target: str,
    repository: str,
    paths: list[str],
    databases: list[str],
    sop: str = "sop",
    operator: str | None = None,
    env_file: Path | None = None,
) -> dict[str, str]:
    """Given what to back up, return the cron entries (name -> line) meeting the minimums.

    Each entry makes a request and runs it through sop (gates and records as
    for a person at the terminal); the human steps are confirmed as
    "terjadwal" (scheduled).  `sop request --quiet` prints the request id alone,
    so the entry reads no text meant for people (which is in their language).
    """

    # Every input is one shell word (quoted), and "%" is escaped for cron: a path or a
    # repository is data, never a piece of the root command line.
    for field, value in [("--target", target), ("--repository", repository), ("sop", sop)]:
        refuse_backslash(field, value)
    for path in paths:
        refuse_backslash("--path", path)
    for db in databases:
        refuse_backslash("--database", db)
    if env_file is not None:
        refuse_backslash("--dest", str(env_file))

    def line(kind: str, params: list[str], confirm: list[int]) -> str:
        cron, _cal, _pb, proc = SCHEDULES[kind]
        args = " ".join(f"--param {single_quoted(p)}" for p in params)
        confirms = " ".join(f"--confirm {n}=terjadwal" for n in confirm)
        who = f" --as {shlex.quote(operator)}" if operator else ""
        source = SOURCE.format(shlex.quote(str(env_file))) if env_file is not None else ""
        command = (
            f"{source}id=$({shlex.quote(sop)} request {proc} --target {shlex.quote(target)} "
            f"{args} --reason 'jadwal {proc}'{who} --quiet) "
            f'&& [ -n "$id" ] && {shlex.quote(sop)} run "$id" {confirms}{who}'
        )
        return f"{cron} root {cron_escape(command)}"

    entries = {}
    if databases:
        entries["database"] = line(
            "database",
            [f"databases=[{', '.join(databases)}]", f"repository={repository}"],
            [1, 2, 3, 5],
        )
    if paths:
        entries["file"] = line(
            "file", [f"paths=[{', '.join(paths)}]", f"repository={repository}"], [1, 2, 4]
        )
    entries["retention"] = line(
        "retention", [f"repository={repository}", "max_age_days=365"], [1, 3]
    )
    return entries


def systemd_units(entries: dict[str, str], env_file: Path | None = None) -> dict[str, str]:
    """Given cron entries, return systemd service and timer unit files (file name -> text)."""
    units = {}
    source = SOURCE.format(shlex.quote(str(env_file))) if env_file is not None else ""
    settings = f"EnvironmentFile={env_file}\n" if env_file is not None else ""
    for kind, entry in entries.items():
        command = cron_unescape(entry.split(" root ", 1)[1]).removeprefix(source)
        name = f"sop-backup-{kind}"
        units[f"{name}.service"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} ({kind})\n\n"
            f"[Service]\nType=oneshot\n{settings}"
            f"ExecStart=/bin/sh -c {systemd_quote(command)}\n"
        )
        units[f"{name}.timer"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} schedule\n\n"
            f"[Timer]\nOnCalendar={SCHEDULES[kind][1]}\nPersistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
    return units


def check_schedule(
    inventory: Inventory, target: str, paths: list[str], databases: list[str], fmt: str
) -> None:
    """Given the options of `sop backup schedule`, return if they can be scheduled.

    Raise SopError naming the first option that is not allowed.
    """
    if fmt not in FORMATS:
        raise SopError(_("--format: {fmt!r} is not allowed; use cron or systemd").format(fmt=fmt))
    for path in paths:
        if not path.startswith("/"):
            raise SopError(
                _("--path: {path!r} is relative; allowed: absolute paths").format(path=path)
            )
    for db in databases:
        engine, _slash, name = db.partition("/")
        if engine not in ENGINES or not name or "/" in name:
            raise SopError(
                _(
                    "--database: {db!r}; allowed: ENGINE/NAME with ENGINE mariadb, mysql or "
                    "postgresql"
                ).format(db=db)
            )
    if target not in inventory.hosts:
        raise SopError(
            _("--target: {target!r} is not a host of the inventory").format(target=target)
        )


def cron_text(entries: dict[str, str]) -> str:
    """Given cron entries, return the cron.d file that holds them."""
    return CRON_HEADER + "".join(f"{line}\n" for line in entries.values())


def preview(entries: dict[str, str], fmt: str, env_file: Path | None = None) -> str:
    """Given entries and a format, return what `sop backup schedule` prints without --install."""
    if fmt == "cron":
        return cron_text(entries)
    units = systemd_units(entries, env_file)
    return "".join(f"# --- {name}\n{body}\n" for name, body in units.items())


def install(
    ctx: Context,
    target: str,
    repository: str,
    fmt: str,
    entries: dict[str, str],
    dest: Path | None,
    operator: str,
    env_file: Path | None = None,
) -> list[str]:
    """Given checked entries, write the cron file or the systemd units, and the
    environment file they read (``env_file``, the settings); return the files.

    The installation is audited (files, format, repository) under the operator.
    """
    settings = environment_text(ctx.settings) if env_file is not None else ""
    if fmt == "cron":
        target_file = dest or CRON_FILE
        target_file.parent.mkdir(parents=True, exist_ok=True)
        target_file.write_text(cron_text(entries))
        os.chmod(target_file, 0o644)
        written = [str(target_file)]
    else:
        directory = dest or UNIT_DIR
        directory.mkdir(parents=True, exist_ok=True)
        written = []
        for name, body in systemd_units(entries, env_file).items():
            (directory / name).write_text(body)
            written.append(str(directory / name))
    if env_file is not None:
        env_file.parent.mkdir(parents=True, exist_ok=True)
        env_file.write_text(settings)
        os.chmod(env_file, 0o644)
        written.append(str(env_file))
    with ctx.session() as session:
        audit.append(
            session,
            operator,
            "backup.schedule_installed",
            f"schedule/{target}",
            {"files": written, "format": fmt, "repository": repository},
        )
    return written
