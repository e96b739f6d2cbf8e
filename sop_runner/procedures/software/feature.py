"""The software feature: its tables, recorders, request parameters, report section and
command (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature, ReportSection
from sop_runner.procedures.software import MANIFEST, documents, params
from sop_runner.procedures.software.models import SoftwareAnalysis, SoftwareChange, SoftwareEntry
from sop_runner.procedures.software.recorders import RECORDERS

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=(params.PROCEDURE,),
    tables=(SoftwareEntry, SoftwareChange, SoftwareAnalysis),
    recorders=RECORDERS,
    derived_params={params.PROCEDURE: params.derive},
    param_checks={params.PROCEDURE: params.check},
    report_sections={
        params.PROCEDURE: ReportSection(
            data=documents.section_data,
            markdown="software_section.md.j2",
            html="software_section.html.j2",
        )
    },
    step_hooks={f"{params.PROCEDURE}/3": params.environment_branch},
    commands=MANIFEST.commands,
    templates=documents.TEMPLATES,
)
