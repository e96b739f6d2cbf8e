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
import shutil
import sys
from pathlib import Path

from sop_runner import audit
from sop_runner.config import Settings
from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.inventory import Inventory

FORMATS = ("cron", "systemd")
ENGINES = ("mariadb", "mysql", "postgresql")
CRON_FILE = Path("/etc/cron.d/sop-pusatdata-backup")
UNIT_DIR = Path("/etc/systemd/system")
ENV_FILE = Path("/etc/sop-pusatdata/schedule.env")
ENV_NAME = "sop-pusatdata-schedule.env"
# What a cron line runs first: the settings, exported to `sop` (systemd: EnvironmentFile).
_SOURCE = "set -a && . {} && set +a && "
# Characters no setting written to the environment file may hold (it is read by sh
# and by systemd, which quote differently).
_UNSAFE_SETTING = set("\"'$`\\\n%")
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


def installed_sop() -> str:
    """Return the absolute path of the `sop` command of this installation.

    Raise SopError if there is none (sop is not installed as a command).
    """
    beside = Path(sys.executable).parent / "sop"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("sop")
    if found is None:
        raise SopError("no `sop` command installed: a schedule needs its absolute path")
    return str(Path(found).absolute())


def environment_file(fmt: str, dest: Path | None) -> Path:
    """Given the format and --dest, return where the schedule's environment file goes."""
    if dest is None:
        return ENV_FILE
    return (dest if fmt == "systemd" else dest.parent) / ENV_NAME


def environment_text(settings: Settings) -> str:
    """Given the caller's settings, return the environment file a scheduled `sop` reads.

    Raise SopError if a setting holds a character that sh and systemd read differently.
    """
    values = {
        "SOP_DATA_DIR": str(settings.data_dir),
        "SOP_KEY_DIR": str(settings.key_dir),
        "SOP_LANG": settings.lang,
    }
    if settings.trust_file is not None:
        values["SOP_TRUST_FILE"] = str(settings.trust_file)
    for key, value in values.items():
        if _UNSAFE_SETTING & set(value):
            raise SopError(f"{key}: {value!r} holds quotes, $, % or a newline; not scheduled")
    lines = [f'{key}="{value}"' for key, value in sorted(values.items())]
    return "# sop-pusatdata: settings of the scheduled runs (no secret)\n" + "\n".join(lines) + "\n"


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

    def line(kind: str, params: list[str], confirm: list[int]) -> str:
        cron, _cal, _pb, proc = SCHEDULES[kind]
        args = " ".join(f"--param '{p}'" for p in params)
        confirms = " ".join(f"--confirm {n}=terjadwal" for n in confirm)
        who = f" --as {operator}" if operator else ""
        source = _SOURCE.format(env_file) if env_file is not None else ""
        return (
            f"{cron} root {source}id=$({sop} request {proc} --target {target} {args} "
            f"--reason 'jadwal {proc}'{who} --quiet) "
            f'&& [ -n "$id" ] && {sop} run "$id" {confirms}{who}'
        )

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
    source = _SOURCE.format(env_file) if env_file is not None else ""
    settings = f"EnvironmentFile={env_file}\n" if env_file is not None else ""
    for kind, entry in entries.items():
        command = entry.split(" root ", 1)[1].removeprefix(source)
        name = f"sop-backup-{kind}"
        units[f"{name}.service"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} ({kind})\n\n"
            f"[Service]\nType=oneshot\n{settings}"
            f"ExecStart=/bin/sh -c {_systemd_quote(command)}\n"
        )
        units[f"{name}.timer"] = (
            f"[Unit]\nDescription=sop-pusatdata SOP {SCHEDULES[kind][3]} schedule\n\n"
            f"[Timer]\nOnCalendar={SCHEDULES[kind][1]}\nPersistent=true\n\n"
            "[Install]\nWantedBy=timers.target\n"
        )
    return units


def _systemd_quote(text: str) -> str:
    # systemd's own quoting (systemd.service "Command lines"): a backslash and a double
    # quote are escaped, "$" is "$$" and "%" is "%%" (a "\\$" is kept as is, with a warning).
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("$", "$$").replace("%", "%%") + '"'


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
