"""The SOP 5.1 documents: the feasibility analysis and the dismantle report with its
certificates of sanitization and the register's history (`sop dismantle report`)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.documents.publish import issue_request_markdown
from sop_runner.procedures import register
from sop_runner.procedures.dismantle.certificate import (
    certificates,
    dismantle_request,
    latest_run,
    request_dict,
)
from sop_runner.procedures.dismantle.models import DismantleFeasibility
from sop_runner.procedures.dismantle.policy import ORGANIZATION, device_summary
from sop_runner.procedures.dismantle.words import WORDS
from sop_runner.reports.render import (
    labels,
    request_report_dir,
    step_rows,
    template_environment,
)
from sop_runner.store.models import StepRecord
from sop_runner.store.queries import rows_of_run

TEMPLATES = Path(__file__).parent / "templates"
# (template, file name before "-5.1-<request>-<lang>.<suffix>", kind of document)
_DOCUMENTS = (
    ("dismantle_feasibility.md.j2", "analisis-kelayakan", "dokumen"),
    ("dismantle_report.md.j2", "laporan-penghentian", "laporan"),
)


def _register_entry(session: Session, host: str) -> dict[str, Any]:
    """Given a target, return its register entry and status history as the report shows them."""
    device = register.get_device(session, host)
    return {
        "device": device_summary(device),
        "history": [
            {
                "from": c.from_status or "—",
                "to": c.to_status,
                "at": c.changed_at.strftime("%Y-%m-%d %H:%M:%S"),
                "by": c.changed_by,
                "run": c.run_id,
                "note": c.note,
            }
            for c in (register.history(session, host) if device else [])
        ],
    }


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a 5.1 request, return what its feasibility report and certificates show.

    Raise SopError if the request is of another procedure.
    """
    with ctx.session() as session:
        request = dismantle_request(session, request_id)
        procedure = ctx.catalog.get("5.1")
        run = latest_run(session, request_id)
        req = request_dict(request)
        feasibility = [
            {"host": f.host, "findings": f.findings, "blockers": f.blockers}
            for f in rows_of_run(session, DismantleFeasibility, run, DismantleFeasibility.host)
        ]
        return {
            "lang": lang,
            "L": dict(labels(lang)),
            "D": WORDS[lang],
            "procedure": procedure,
            "request": req,
            "run": {"id": run.id, "operator": run.operator, "status": run.status} if run else None,
            "steps": step_rows(
                procedure, rows_of_run(session, StepRecord, run, StepRecord.id), lang
            ),
            "feasibility": feasibility,
            "certificates": certificates(ctx, session, req, run),
            "registers": {host: _register_entry(session, host) for host in request.targets},
            "organization": ORGANIZATION,
            "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        }


def write_documents(
    ctx: Context, request_id: int, lang: str, out_dir: Path | None = None
) -> list[Path]:
    """Given a 5.1 request, write its feasibility report and dismantle report with
    certificates; return the paths.  Raise SopError if the request is not 5.1."""
    data = build(ctx, request_id, lang)
    out = request_report_dir(ctx, request_id, out_dir)
    env = template_environment((TEMPLATES,))
    documents = (
        (env.get_template(template).render(**data), name, f"{name}-5.1-{request_id}-{lang}", kind)
        for template, name, kind in _DOCUMENTS
    )
    return issue_request_markdown(ctx, request_id, documents, lang=lang, out=out)
