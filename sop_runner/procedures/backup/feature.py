"""The backup feature: its tables, recorders and templates (loaded when a command needs it)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature
from sop_runner.procedures.backup import MANIFEST
from sop_runner.procedures.backup.models import (
    BackupRecord,
    RepositoryCheck,
    RestoreRecord,
    RetentionRecord,
)
from sop_runner.procedures.backup.recorders import RECORDERS

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("7.1", "7.2", "7.3", "7.4", "7.5"),
    tables=(BackupRecord, RestoreRecord, RetentionRecord, RepositoryCheck),
    recorders=RECORDERS,
    commands=MANIFEST.commands,
    templates=Path(__file__).parent / "templates",
)
