"""SOP 7.1–7.5 backup, restore and retention: records, schedules, overdue, reports.

The playbooks hand their results back with set_stats and the recorders turn
them into rows; `sop backup` prints schedules, lists what is overdue and writes
the result reports and the semester recap.  Other features ask through ``api``.
Only what every `sop` start needs is imported here; the command loads on use.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from sop_runner.features import Command, Feature
from sop_runner.procedures.backup.models import (
    BackupRecord,
    RepositoryCheck,
    RestoreRecord,
    RetentionRecord,
)
from sop_runner.procedures.backup.recorders import RECORDERS

FEATURE = Feature(
    name="backup",
    procedures=("7.1", "7.2", "7.3", "7.4", "7.5"),
    tables=(BackupRecord, RestoreRecord, RetentionRecord, RepositoryCheck),
    recorders=RECORDERS,
    commands={
        "backup": Command(
            help="SOP 7.1–7.5 backup: schedules, overdue backups, reports, semester recap.",
            # Loaded only when `sop backup` runs.
            load=lambda: import_module(f"{__name__}.cli").cli,
        )
    },
    templates=Path(__file__).parent / "templates",
)
