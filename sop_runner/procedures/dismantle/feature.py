"""The dismantle feature: its tables, recorders and templates (loaded when needed)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature
from sop_runner.procedures.dismantle import MANIFEST
from sop_runner.procedures.dismantle.models import (
    CertificateSignature,
    DiskWipe,
    DismantleFeasibility,
)
from sop_runner.procedures.dismantle.recorders import RECORDERS

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("5.1",),
    tables=(DismantleFeasibility, DiskWipe, CertificateSignature),
    recorders=RECORDERS,
    commands=MANIFEST.commands,
    templates=Path(__file__).parent / "templates",
)
