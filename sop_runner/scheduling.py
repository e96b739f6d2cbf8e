"""What every schedule of `sop` shares: the installed command, its settings file, and the
systemd and cron texts of one scheduled command.

cron and systemd start a command with a bare environment: no venv on PATH, no HOME,
none of the caller's settings.  So a scheduled command names the installed `sop` by its
absolute path (``installed_sop``), and the settings it needs (trust file, data and key
folders, language, and any a feature adds such as the Prometheus URL) are in an
environment file (``environment_text``): systemd reads it as ``EnvironmentFile=``, cron
sources it (``SOURCE``).  The texts hold no secret.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner.errors import SopError
from sop_runner.i18n import _

if TYPE_CHECKING:
    from sop_runner.config import Settings

FORMATS = ("cron", "systemd")
UNIT_DIR = Path("/etc/systemd/system")
ENV_FILE = Path("/etc/sop-pusatdata/schedule.env")
ENV_NAME = "sop-pusatdata-schedule.env"
# What a cron line runs first: the settings, exported to `sop` (systemd: EnvironmentFile).
SOURCE = "set -a && . {} && set +a && "
# Characters no setting written to the environment file may hold (it is read by sh
# and by systemd, which quote differently).
_UNSAFE_SETTING = set("\"'$`\\\n%")


def installed_sop() -> str:
    """Return the absolute path of the `sop` command of this installation.

    Raise SopError if there is none (sop is not installed as a command).
    """
    beside = Path(sys.executable).parent / "sop"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside.absolute())
    found = shutil.which("sop")
    if found is None:
        raise SopError(_("no `sop` command installed: a schedule needs its absolute path"))
    return str(Path(found).absolute())


def environment_file(fmt: str, dest: Path | None) -> Path:
    """Given the format and --dest, return where the schedule's environment file goes."""
    if dest is None:
        return ENV_FILE
    return (dest if fmt == "systemd" else dest.parent) / ENV_NAME


def environment_text(settings: Settings, extra: dict[str, str] | None = None) -> str:
    """Given the caller's settings (and a feature's own, ``extra``), return the
    environment file a scheduled `sop` reads.

    Raise SopError if a setting holds a character that sh and systemd read differently.
    """
    values = {
        "SOP_DATA_DIR": str(settings.data_dir),
        "SOP_KEY_DIR": str(settings.key_dir),
        "SOP_LANG": settings.lang,
        **(extra or {}),
    }
    if settings.trust_file is not None:
        values["SOP_TRUST_FILE"] = str(settings.trust_file)
    for key, value in values.items():
        if _UNSAFE_SETTING & set(value):
            raise SopError(
                _("{key}: {value!r} holds quotes, $, % or a newline; not scheduled").format(
                    key=key, value=value
                )
            )
    lines = [f'{key}="{value}"' for key, value in sorted(values.items())]
    return "# sop-pusatdata: settings of the scheduled runs (no secret)\n" + "\n".join(lines) + "\n"


def systemd_quote(text: str) -> str:
    """Given a shell command, return it quoted as one word of a systemd command line."""
    # systemd's own quoting (systemd.service "Command lines"): a backslash and a double
    # quote are escaped, "$" is "$$" and "%" is "%%" (a "\\$" is kept as is, with a warning).
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("$", "$$").replace("%", "%%") + '"'


def cron_escape(command: str) -> str:
    """Given a shell command, return it as a cron line's command.

    cron turns every unescaped "%" of a command into a newline (crontab(5)); "\\%" is
    read as a plain "%".  Commands hold no backslash (``refuse_backslash``), so
    ``cron_unescape`` gives back exactly the command.
    """
    return command.replace("%", "\\%")


def single_quoted(text: str) -> str:
    """Given a text, return it as one shell word in single quotes (a quote inside is closed,
    escaped and reopened), so it reaches the command as data whatever it holds."""
    return "'" + text.replace("'", "'\\''") + "'"


def cron_unescape(command: str) -> str:
    """Given a cron line's command (``cron_escape``), return the shell command."""
    return command.replace("\\%", "%")


def refuse_backslash(field: str, value: str) -> None:
    """Raise SopError if a value that goes into a scheduled command holds a backslash or a
    newline (cron and sh would read it differently from what was meant)."""
    if "\\" in value or "\n" in value:
        raise SopError(
            _(
                "{field}: {value!r} holds a backslash or a newline; not allowed in a schedule"
            ).format(field=field, value=value)
        )


@dataclass(frozen=True)
class Scheduled:
    """One scheduled command: its unit name, what it is, when (cron and systemd), the command."""

    name: str
    description: str
    cron: str  # minute hour day-of-month month day-of-week
    on_calendar: str
    command: str

    def cron_line(self, env_file: Path | None) -> str:
        """Return the cron.d line (run as root) that runs the command with the settings."""
        source = SOURCE.format(shlex.quote(str(env_file))) if env_file is not None else ""
        return f"{self.cron} root {cron_escape(source + self.command)}"

    def units(self, env_file: Path | None) -> dict[str, str]:
        """Return the systemd service and timer (file name -> text) that run the command."""
        settings = f"EnvironmentFile={env_file}\n" if env_file is not None else ""
        return {
            f"{self.name}.service": (
                f"[Unit]\nDescription={self.description}\n\n"
                f"[Service]\nType=oneshot\n{settings}"
                f"ExecStart=/bin/sh -c {systemd_quote(self.command)}\n"
            ),
            f"{self.name}.timer": (
                f"[Unit]\nDescription={self.description} (jadwal)\n\n"
                f"[Timer]\nOnCalendar={self.on_calendar}\nPersistent=true\n\n"
                "[Install]\nWantedBy=timers.target\n"
            ),
        }
