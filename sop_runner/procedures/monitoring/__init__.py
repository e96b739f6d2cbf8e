"""SOP 6.1 resource monitoring: load records from resource_monitor.yml and their report;
the repair (step 5) is a request of its own after the analysis (``repair``)."""

from __future__ import annotations

from pathlib import Path

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.monitoring.models import ResourceSample
from sop_runner.procedures.monitoring.recorders import record_resource_samples
from sop_runner.procedures.monitoring.repair import check_repair_request
from sop_runner.procedures.monitoring.report import section_data

FEATURE = Feature(
    name="monitoring",
    procedures=("6.1",),
    tables=(ResourceSample,),
    recorders={"resource_samples": record_resource_samples},
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
