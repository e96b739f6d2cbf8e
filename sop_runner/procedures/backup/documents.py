"""The result reports of SOP 7.1–7.5 (Laporan hasil backup/restore/penghapusan backup).

One report per request: its backups, restores, retention passes and
repository checks, in Markdown and HTML, Indonesian or English.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.procedures.backup import FEATURE
from sop_runner.procedures.backup.models import (
    BackupRecord,
    RepositoryCheck,
    RestoreRecord,
    RetentionRecord,
)
from sop_runner.procedures.backup.words import WORDS
from sop_runner.reports.render import request_report_dir, template_environment
from sop_runner.store.models import Base, Request, Run

TEMPLATES = (FEATURE.templates,) if FEATURE.templates else ()


def backup_dict(row: BackupRecord) -> dict[str, Any]:
    """Given a backup record, return what the report and recap templates show of it."""
    return {
        "taken_at": row.taken_at,
        "kind": row.kind,
        "host": row.host,
        "source": row.source,
        "repository": row.repository,
        "snapshot_id": row.snapshot_id or "",
        "size": row.size_bytes or 0,
        "status": row.status,
        "details": row.details or {},
    }


def _rows_of(session: Session, table: type[Base], run_ids: list[int]) -> list[dict[str, Any]]:
    """Given a record table and runs, return the runs' rows as dicts of every column."""
    columns = [c.key for c in table.__table__.columns]
    query = select(table).where(table.run_id.in_(run_ids)).order_by(table.id)  # type: ignore[attr-defined]
    return [{key: getattr(row, key) for key in columns} for row in session.scalars(query)]


def build(ctx: Context, request_id: int, lang: str) -> dict[str, Any]:
    """Given a request of SOP 7.1–7.5, return what its result report shows.

    Raise SopError if the request does not exist or is of another procedure.
    """
    with ctx.session() as session:
        request = session.get(Request, request_id)
        if request is None:
            raise SopError(_("request: {id} does not exist").format(id=request_id))
        if request.procedure_id not in FEATURE.procedures:
            raise SopError(
                _("request: {id} is procedure {procedure}; allowed: a request of 7.1–7.5").format(
                    id=request_id, procedure=request.procedure_id
                )
            )
        runs = list(session.scalars(select(Run).where(Run.request_id == request_id)))
        run_ids = [r.id for r in runs]
        backups = [
            backup_dict(r)
            for r in session.scalars(
                select(BackupRecord)
                .where(BackupRecord.run_id.in_(run_ids))
                .order_by(BackupRecord.id)
            )
        ]
        words = WORDS[lang]
        return {
            "L": words,
            "lang": lang,
            "title": words[f"report_{request.procedure_id}"],
            "procedure": request.procedure_id,
            "request": {
                "id": request.id,
                "targets": request.targets,
                "params": request.params,
                "reason": request.reason,
                "requested_by": request.requested_by,
            },
            "runs": [
                {"id": r.id, "operator": r.operator, "status": r.status, "started_at": r.started_at}
                for r in runs
            ],
            "backups": backups,
            "restores": _rows_of(session, RestoreRecord, run_ids),
            "retention": _rows_of(session, RetentionRecord, run_ids),
            "checks": _rows_of(session, RepositoryCheck, run_ids),
            "generated": generated_now(),
        }


def generated_now() -> str:
    """Return the time a document is generated, as its footer shows it."""
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def write_document(
    ctx: Context,
    template: str,
    data: dict[str, Any],
    folder: Path,
    file_stem: str,
    request_id: int | None = None,
) -> list[Path]:
    """Given a template of this feature, its data, a folder and a file name, issue the
    document (PDF, HTML, Markdown: kop, number, date, signatures by the core's document
    layer) and return the paths."""
    from sop_runner.documents.publish import issue_markdown

    markdown = template_environment(TEMPLATES).get_template(template).render(**data)
    name = file_stem.rsplit("-", 1)[0]  # one number for both languages of a document
    subject = f"request/{request_id}/{name}" if request_id is not None else name
    return issue_markdown(
        ctx,
        markdown,
        subject=subject,
        file_stem=file_stem,
        lang=data["lang"],
        out=folder,
        kind="laporan",
        request_id=request_id,
    )


def write_report(ctx: Context, request_id: int, lang: str, out: Path | None = None) -> list[Path]:
    """Given a 7.x request, write its result report (PDF, HTML, Markdown); return the paths."""
    data = build(ctx, request_id, lang)
    folder = request_report_dir(ctx, request_id, out)
    stem = f"laporan-backup-{data['procedure']}-{request_id}-{lang}"
    return write_document(ctx, "backup_report.md.j2", data, folder, stem, request_id)
