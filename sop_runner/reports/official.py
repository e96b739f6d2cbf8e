"""A request's official documents: the report (Laporan), the work order (Surat Perintah
Tugas) and, when services are hit, the circular to the OPDs (Surat Edaran).

Each is one Markdown body (templates/*.md.j2; the report also has its HTML with the
features' charts) handed to the document layer (sop_runner.documents), which adds
the letterhead, number, date, signature blocks and the verification footer, and
writes Markdown, HTML and PDF.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from markupsafe import Markup

from sop_runner.context import Context
from sop_runner.documents.layout import Document, Letter
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.publish import FORMATS, issue
from sop_runner.documents.records import request_signers
from sop_runner.documents.signatures import Signer, block, holder_of
from sop_runner.reports.render import build, request_report_dir, template_environment
from sop_runner.requests import get_request
from sop_runner.store.models import Run


def _assignees(ctx: Context, run: Run | None) -> list[dict[str, str]]:
    """Given the latest run, return who the work order sends: its operator, or (before a
    run) every petugas of the registry."""
    registry = ctx.registry
    names = [run.operator] if run else [o.name for o in registry.operators if "petugas" in o.roles]
    people = []
    for name in names:
        person = block(registry, name)
        people.append({"full_name": person.full_name, "nip": person.nip, "jabatan": person.jabatan})
    return people


def _pimpinan(ctx: Context, signers: Sequence[Signer], jabatan: str) -> Signer:
    """Given a request's signers, return the Pimpinan's block (signed if they approved)."""
    registry = ctx.registry
    for signer in signers:
        operator = registry.get(signer.name)
        if operator and "pimpinan" in operator.roles:
            return Signer(**{**signer.as_dict(), "heading": jabatan})
    name = holder_of(registry, "pimpinan")
    if name is None:
        return Signer(jabatan, "", "", jabatan, "", "", "")
    return block(registry, name, jabatan)


def documents(ctx: Context, request_id: int, lang: str) -> list[Document]:
    """Given a request, return its official documents, ready to issue."""
    data = build(ctx, request_id, lang)
    env = template_environment(tuple(ctx.features.template_dirs()))
    words = data["L"]
    slug = f"{data['procedure'].id}-{request_id}-{lang}"
    subject = f"request/{request_id}"
    with ctx.session() as session:
        request = get_request(session, request_id)
        signers = request_signers(session, request, ctx.trusted)
        data["assignees"] = _assignees(ctx, data["run"])
    requester = [s for s in signers if s.name == data["request"].requested_by][:1]
    common: dict[str, Any] = {"lang": lang, "request_id": request_id, "subject": subject}
    found = [
        Document(
            kind="laporan",
            title=f"{words['report_title']} {data['title']}"
            if not data["title"].lower().startswith(words["report_title"].lower())
            else data["title"],
            file_stem=f"laporan-{slug}",
            body_markdown=env.get_template("report.md.j2").render(**data),
            body_html=Markup(env.get_template("report.html.j2").render(**data)),
            signers=tuple(signers),
            **common,
        ),
        Document(
            kind="surat_perintah_tugas",
            title=words["work_order"],
            file_stem=f"surat-perintah-tugas-{slug}",
            body_markdown=env.get_template("work_order.md.j2").render(**data),
            appendix_markdown=env.get_template("work_order_appendix.md.j2").render(**data),
            signers=tuple(requester),
            issued_at_words=True,
            **common,
        ),
    ]
    run = data["run"]
    if run is not None and run.status in ("postponed", "cancelled"):
        # The document's report to the penanggung jawab when the work is postponed
        # ("instalasi ditunda") or cancelled: by whoever ran it (issue 16).
        by = [s for s in signers if s.name == run.operator][:1] or requester
        found.append(
            Document(
                kind="laporan",
                title=f"{words['postponement']} {data['procedure'].title.get(lang)}",
                file_stem=f"laporan-penundaan-{slug}",
                body_markdown=env.get_template("postponement.md.j2").render(**data),
                signers=tuple(by),
                # A document of its own beside the request's report: its own nomor (one
                # number per kind and subject).
                **{**common, "subject": f"{subject}/penundaan"},
            )
        )
    if data["impact"].circular_required:
        naskah = load_naskah()
        kind = naskah.kind("surat_edaran")
        kepada = (words["circular_kepada"], words["circular_tempat"])
        found.append(
            Document(
                kind="surat_edaran",
                title=words["circular"],
                file_stem=f"surat-edaran-{slug}",
                body_markdown=env.get_template("circular.md.j2").render(**data),
                signers=(_pimpinan(ctx, signers, naskah.data["pimpinan"]["jabatan"]),),
                letter=Letter(
                    hal=f"{words['circular_hal']}: {data['procedure'].title.get(lang)}",
                    sifat=str(kind.get("sifat", "Biasa")),
                    lampiran=words["lampiran_none"],
                    kepada=tuple(k for k in kepada if k),
                ),
                **common,
            )
        )
    return found


def write_reports(
    ctx: Context,
    request_id: int,
    lang: str,
    out_dir: Path | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Given a request, write its report, work order and circular (and the features'
    documents of its procedure) and return the paths.

    Raise SopError if PDF is asked and WeasyPrint is missing.
    """
    out = request_report_dir(ctx, request_id, out_dir)
    written: list[Path] = []
    for document in documents(ctx, request_id, lang):
        written += issue(ctx, document, out, formats)
    with ctx.session() as session:
        procedure_id = get_request(session, request_id).procedure_id
    for write_documents in ctx.features.documents(procedure_id):
        written += write_documents(ctx, request_id, lang, out)
    return written
