"""The control cards feature: its tables, its `sop kartu` commands and the section of the
6.3/6.4 report that shows a run's entries (loaded when a command needs it)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.cards import MANIFEST
from sop_runner.procedures.cards.models import CardEntry, CardFollowUp
from sop_runner.procedures.cards.section import section_data

_SECTION = ReportSection(
    data=section_data, markdown="cards_section.md.j2", html="cards_section.html.j2"
)

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("6.3", "6.4"),
    tables=(CardEntry, CardFollowUp),
    commands=MANIFEST.commands,
    report_sections={"6.3": _SECTION, "6.4": _SECTION},
    templates=Path(__file__).parent / "templates",
)
