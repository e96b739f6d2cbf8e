"""The upgrade feature: its tables, recorders and templates (loaded when needed)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature
from sop_runner.procedures.upgrade import MANIFEST
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.procedures.upgrade.recorders import RECORDERS

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("4.1", "4.2"),
    tables=(UpgradeRecord, UpgradePackageChange),
    recorders=RECORDERS,
    commands=MANIFEST.commands,
    templates=Path(__file__).parent / "templates",
)
