"""Issuing a periodic monitoring report (6.1, 6.2) signed by the petugas who wrote it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup

from sop_runner.context import Context
from sop_runner.documents.layout import Document
from sop_runner.documents.publish import issue
from sop_runner.documents.records import request_signers
from sop_runner.documents.signatures import Signer, block
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.operators import Acting
from sop_runner.requests import get_request


def writer(ctx: Context, as_: str | None, procedure: str, request_id: int | None) -> Acting:
    """Given --as, the procedure and --request, return the petugas who writes the report.

    Raise SopError if they are no petugas or the request is not of that procedure.
    """
    acting = ctx.actor(as_)
    if "petugas" not in acting.roles:
        raise SopError(
            _("--as: {name!r} is no petugas; the petugas writes the report").format(
                name=acting.name
            )
        )
    if request_id is not None:
        with ctx.session() as session:
            if get_request(session, request_id).procedure_id != procedure:
                raise SopError(
                    _("--request: {id} is no {procedure} request").format(
                        id=request_id, procedure=procedure
                    )
                )
    return acting


def subject_of(procedure: str, start: datetime, end: datetime, names: list[str]) -> str:
    """Given a report's procedure, period and hosts, return its document subject (one
    number per subject); many hosts are named by their digest (the column is short)."""
    joined = ",".join(sorted(names))
    if len(joined) > 60:
        joined = "sha256:" + hashlib.sha256(joined.encode()).hexdigest()[:16]
    return f"monitoring/{procedure}/{start:%Y%m%d%H%M}-{end:%Y%m%d%H%M}/{joined}"


def issue_report(
    ctx: Context,
    acting: Acting,
    *,
    title: str,
    heading: str,
    subject: str,
    file_stem: str,
    lang: str,
    body_markdown: str,
    body_html: Markup,
    signed_data: dict[str, Any],
    out: Path | None,
    request_id: int | None,
) -> list[Path]:
    """Given a report's parts, sign it (audit ``monitoring.report``) and issue it as an
    official document (PDF, HTML, Markdown); return the paths."""
    folder = out or ctx.settings.reports_dir / "monitoring"
    folder.mkdir(parents=True, exist_ok=True)
    with ctx.session() as session:
        signed = acting.sign(session, "monitoring.report", subject, signed_data)
        signers: list[Signer] = []
        if request_id is not None:
            signers = request_signers(session, get_request(session, request_id), ctx.trusted)
    signers.append(block(ctx.registry, acting.name, heading, signed["signature"], signed["time"]))
    document = Document(
        kind="laporan",
        subject=subject,
        title=title,
        file_stem=file_stem,
        lang=lang,
        body_markdown=body_markdown,
        body_html=body_html,
        signers=tuple(signers),
        request_id=request_id,
    )
    return issue(ctx, document, folder)
