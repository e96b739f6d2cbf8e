"""SOP 7.1–7.5 backup, restore and retention: records, schedules, overdue, reports.

The playbooks hand their results back with set_stats and the recorders turn
them into rows; `sop backup` prints schedules, lists what is overdue and writes
the result reports and the semester recap.  Other features ask through ``api``.
Only the manifest is imported here; the feature (``feature``) and the command
load on use.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

MANIFEST = Manifest(
    name="backup",
    tables=f"{__name__}.models",
    commands={
        "backup": Command(
            help=N_("SOP 7.1–7.5 backup: schedules, overdue backups, reports, semester recap."),
            # Loaded only when `sop backup` runs.
            load=lambda: import_module(f"{__name__}.cli").cli,
        )
    },
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
