"""Issue a document: give it its number, lay it out, write its files and record them.

Every file's SHA-256 goes to the store (``issued_documents``) and to one audit entry
(``document.issued``), in the transaction that gives the number: `sop verify` finds a
file by its hash and the trail says the records produced it.  Every format is made in
memory first, so a missing PDF engine writes nothing and uses no number.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.documents import dates, numbering
from sop_runner.documents.layout import Document, lay_out, split_title
from sop_runner.documents.models import IssuedDocument
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.pdf import render_pdf
from sop_runner.documents.records import request_signers
from sop_runner.documents.signatures import Signer
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.requests import get_request
from sop_runner.trust.registry import current_unix_user

FORMATS = ("pdf", "html", "md")


def formats_from(text: str) -> tuple[str, ...]:
    """Given 'pdf,html,md' (any of them), return the formats. Raise SopError naming the bad one."""
    chosen = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    bad = [f for f in chosen if f not in FORMATS]
    if bad or not chosen:
        raise SopError(
            _("--format: {value!r} is not allowed; use pdf, html, md").format(
                value=bad[0] if bad else text
            )
        )
    return chosen


def issue_markdown(
    ctx: Context,
    markdown: str,
    *,
    subject: str,
    file_stem: str,
    lang: str,
    out: Path,
    kind: str = "dokumen",
    request_id: int | None = None,
    formats: Sequence[str] = FORMATS,
) -> list[Path]:
    """Given a feature's document rendered as Markdown (its first line '# Title'), issue it
    with the kop, number, date and the signature blocks of its request; return the paths.

    ``subject`` names what the document is of (one number per kind and subject, e.g.
    ``request/12/laporan-backup``).  Raise SopError if PDF is asked and WeasyPrint is missing.
    """
    title, body = split_title(markdown)
    signers: list[Signer] = []
    if request_id is not None:
        with ctx.session() as session:
            request = get_request(session, request_id)
            signers = request_signers(session, request, ctx.trusted)
    document = Document(
        kind=kind,
        subject=subject,
        title=title,
        file_stem=file_stem,
        lang=lang,
        body_markdown=body,
        signers=tuple(signers),
        request_id=request_id,
    )
    # Markdown first: scripts and tests read a feature's first path as its Markdown.
    return sorted(issue(ctx, document, out, formats), key=lambda path: path.suffix != ".md")


def issue_request_markdown(
    ctx: Context,
    request_id: int,
    documents: Iterable[tuple[str, str, str, str]],
    *,
    lang: str,
    out: Path,
) -> list[Path]:
    """Given a request and its feature's documents, each (Markdown, name, file stem, kind),
    issue them all; return the paths, every Markdown file first in the documents' order
    (scripts read them by position)."""
    paths: list[Path] = []
    for markdown, name, file_stem, kind in documents:
        paths += issue_markdown(
            ctx,
            markdown,
            subject=f"request/{request_id}/{name}",
            file_stem=file_stem,
            lang=lang,
            out=out,
            kind=kind,
            request_id=request_id,
        )
    return sorted(paths, key=lambda path: path.suffix != ".md")


def _actor(ctx: Context) -> str:
    user = current_unix_user()
    operator = ctx.registry.by_unix_user(user)
    return operator.name if operator else user


def issue(ctx: Context, doc: Document, out: Path, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Given a document and a folder, write it in the formats asked and return the paths.

    Raise SopError if PDF is asked and WeasyPrint is missing (nothing written then).
    """
    naskah = load_naskah()
    config = naskah.data["nomor"]
    code = naskah.code(doc.kind, doc.doc_type)
    now = datetime.now(UTC)
    local_now = dates.local(now, naskah.time_zone)
    actor = _actor(ctx)
    with ctx.session() as session:
        row = numbering.assign(
            session,
            doc.kind,
            doc.subject,
            local_now,
            lambda sequence: numbering.format_number(
                config["pola"], code, sequence, config["unit"], local_now
            ),
        )
        laid = lay_out(doc, naskah, row.number, now)
        contents: dict[str, bytes] = {}
        for fmt in formats:
            if fmt == "md":
                contents[fmt] = laid.markdown.encode()
            elif fmt == "html":
                contents[fmt] = laid.html.encode()
            else:
                contents[fmt] = render_pdf(laid.html)
        paths = {fmt: out / f"{doc.file_stem}.{fmt}" for fmt in contents}
        hashes = {fmt: hashlib.sha256(data).hexdigest() for fmt, data in contents.items()}
        entry = audit.append(
            session,
            actor,
            "document.issued",
            f"document/{row.number}",
            {
                "kind": doc.kind,
                "subject": doc.subject,
                "request": doc.request_id,
                "title": doc.title,
                "content_sha256": laid.content_sha256,
                "files": {paths[f].name: hashes[f] for f in contents},
                "signatures": [s.fingerprint for s in doc.signers if s.fingerprint],
            },
        )
        for fmt in contents:
            session.add(
                IssuedDocument(
                    number=row.number,
                    kind=doc.kind,
                    subject=doc.subject,
                    request_id=doc.request_id,
                    title=doc.title,
                    file_format=fmt,
                    file_name=paths[fmt].name,
                    file_sha256=hashes[fmt],
                    content_sha256=laid.content_sha256,
                    signers=[s.as_dict() for s in doc.signers],
                    issued_at=now,
                    audit_seq=entry.seq,
                )
            )
        out.mkdir(parents=True, exist_ok=True)
        for fmt, data in contents.items():
            paths[fmt].write_bytes(data)
    return [paths[f] for f in formats]
