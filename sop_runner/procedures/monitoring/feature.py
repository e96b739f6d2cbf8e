"""The monitoring feature: its table, recorder, repair check, report section, templates."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.monitoring import MANIFEST
from sop_runner.procedures.monitoring.models import Incident, NetworkScan, ResourceSample
from sop_runner.procedures.monitoring.recorders import record_resource_samples
from sop_runner.procedures.monitoring.repair import check_repair_request
from sop_runner.procedures.monitoring.report import section_data
from sop_runner.procedures.monitoring.scans import record_network_scan

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("6.1", "6.2"),
    commands=MANIFEST.commands,
    tables=(ResourceSample, NetworkScan, Incident),
    recorders={
        "resource_samples": record_resource_samples,
        # SOP 6.2 step 1: the scans, and the incidents of what nothing explains.
        "network_scans": record_network_scan,
    },
    # The repair (step 5) is a request of its own after the analysis (``repair``).
    param_checks={"6.1": check_repair_request},
    report_sections={
        "6.1": ReportSection(
            data=section_data,
            markdown="monitoring_section.md.j2",
            html="monitoring_section.html.j2",
        )
    },
    templates=Path(__file__).parent / "templates",
)
