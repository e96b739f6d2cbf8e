"""The monitoring feature: its table, recorder, report section and templates."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.monitoring import MANIFEST
from sop_runner.procedures.monitoring.models import ResourceSample
from sop_runner.procedures.monitoring.recorders import record_resource_samples
from sop_runner.procedures.monitoring.report import section_data

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("6.1",),
    tables=(ResourceSample,),
    recorders={"resource_samples": record_resource_samples},
    report_sections={
        "6.1": ReportSection(
            data=section_data,
            markdown="monitoring_section.md.j2",
            html="monitoring_section.html.j2",
        )
    },
    templates=Path(__file__).parent / "templates",
)
