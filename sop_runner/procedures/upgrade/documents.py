"""The SOP 4.1/4.2 documents: analysis report, upgrade report, configuration documentation."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.documents.publish import issue_request_markdown
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures import register
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.procedures.upgrade.verdicts import figures_rows, outcome
from sop_runner.procedures.upgrade.words import WORDS
from sop_runner.reports.render import build as core_build
from sop_runner.reports.render import request_report_dir, template_environment
from sop_runner.requests import get_request
from sop_runner.store.queries import rows_of_run

PROCEDURES = ("4.1", "4.2")
TEMPLATES = Path(__file__).parent / "templates"
# (template, file name before "-<procedure>-<request>-<lang>.md") per procedure
_DOCUMENTS = {
    "4.2": (
        ("upgrade_analysis.md.j2", "laporan-analisis-kesesuaian"),
        ("upgrade_report.md.j2", "laporan-peningkatan-so"),
        ("upgrade_config_doc.md.j2", "dokumentasi-konfigurasi"),
    ),
    "4.1": (
        ("upgrade_hw_report.md.j2", "laporan-peningkatan-perangkat-keras"),
        ("upgrade_config_doc.md.j2", "dokumentasi-konfigurasi"),
    ),
}


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request of 4.1 or 4.2, return everything its upgrade documents show."""
    data = core_build(ctx, request_id, lang)
    run = data["run"]
    with ctx.session() as session:
        records = rows_of_run(session, UpgradeRecord, run, UpgradeRecord.id)
        changes = rows_of_run(
            session,
            UpgradePackageChange,
            run,
            UpgradePackageChange.host,
            UpgradePackageChange.package,
        )
        specs = {
            host: [
                {
                    "at": s.recorded_at,
                    "phase": s.phase,
                    "spec": s.spec,
                    "note": s.note,
                    "run_id": s.run_id,
                }
                for s in register.spec_history(session, host)
            ]
            for host in data["request"].targets
            if register.get_device(session, host) is not None
        }
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for record in records:
            by_kind.setdefault(record.kind, []).append(
                {"host": record.host, "ok": record.ok, "at": record.recorded_at, **record.data}
            )
        data.update(
            W=WORDS[lang],
            outcome=outcome(records),
            records=by_kind,
            changes=[
                {
                    "host": c.host,
                    "package": c.package,
                    "before": c.version_before,
                    "after": c.version_after,
                }
                for c in changes
            ],
            figures=figures_rows(records),
            specs=specs,
            run_error=run.error if run else "",
        )
    return data


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 4.1 or 4.2 request, write its upgrade documents; return the paths.

    Raise SopError if the request is of another procedure.
    """
    with ctx.session() as session:
        procedure = get_request(session, request_id).procedure_id
    if procedure not in PROCEDURES:
        raise SopError(
            _("request {id} is procedure {procedure}; allowed: {allowed}").format(
                id=request_id, procedure=procedure, allowed=", ".join(PROCEDURES)
            )
        )
    data = build(ctx, request_id, lang)
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment((TEMPLATES,))
    slug = f"{procedure}-{request_id}-{lang}"
    documents = (
        (
            env.get_template(template).render(**data),
            name,
            f"{name}-{slug}",
            "laporan" if name.startswith("laporan") else "dokumen",
        )
        for template, name in _DOCUMENTS[procedure]
    )
    written = issue_request_markdown(ctx, request_id, documents, lang=lang, out=out)
    with ctx.session() as session:
        audit.append(
            session,
            "sop",
            "upgrade.documents",
            f"request/{request_id}",
            {"files": [p.name for p in written], "outcome": data["outcome"]},
        )
    return written
