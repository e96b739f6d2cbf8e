"""SOP 7.1–7.5 backup, restore and retention: records, schedules, overdue, reports.

The playbooks hand their results back with set_stats and the recorders turn
them into rows; `sop backup` prints schedules, lists what is overdue and writes
the result reports and the semester recap.  Other features ask through ``api``.
Only what every `sop` start needs is imported here; the command loads on use.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner.features import Command, Feature
from sop_runner.procedures.backup.models import (
    BackupRecord,
    RepositoryCheck,
    RestoreRecord,
    RetentionRecord,
)
from sop_runner.procedures.backup.recorders import RECORDERS

if TYPE_CHECKING:
    import typer


def _load_cli() -> typer.Typer:
    from sop_runner.procedures.backup.cli import cli

    return cli


FEATURE = Feature(
    name="backup",
    procedures=("7.1", "7.2", "7.3", "7.4", "7.5"),
    tables=(BackupRecord, RestoreRecord, RetentionRecord, RepositoryCheck),
    recorders=RECORDERS,
    commands={
        "backup": Command(
            help="SOP 7.1–7.5 backup: schedules, overdue backups, reports, semester recap.",
            load=_load_cli,
        )
    },
    templates=Path(__file__).parent / "templates",
)
