"""The physical-access feature: its tables and command (loaded when a command needs it)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.access import MANIFEST
from sop_runner.procedures.access.models import (
    AccessBadge,
    AccessDoorEvent,
    AccessEntry,
    AccessExtension,
    AccessPermission,
    AccessRetention,
)
from sop_runner.procedures.access.runs import checker, section_data

PROCEDURES = ("2.1", "2.2", "2.3")

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=PROCEDURES,
    tables=(
        AccessPermission,
        AccessEntry,
        AccessExtension,
        AccessBadge,
        AccessDoorEvent,
        AccessRetention,
    ),
    commands=MANIFEST.commands,
    # A 2.1–2.3 request may name its visit; its report shows the visits of the log book.
    param_checks={procedure: checker(procedure) for procedure in PROCEDURES},
    report_sections={
        procedure: ReportSection(
            data=section_data,
            markdown="access_section.md.j2",
            html="access_section.html.j2",
        )
        for procedure in PROCEDURES
    },
    templates=Path(__file__).parent / "templates",
)
