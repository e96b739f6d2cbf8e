"""`sop verify FILE`: is this file a document the records produced, and who signed it?

A file is the document when its bytes' SHA-256 is one the store recorded at issue
(``issued_documents``), the audit entry of that issue names the same hash, the trail
holds from the first entry to the head, and the signatures it shows are still the ones
the store keeps for its request (each checked against the registry it was made under).
One edited byte changes the hash: the file is then no document of the records.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.documents import dates
from sop_runner.documents.models import IssuedDocument
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.records import request_signers
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.requests import get_request
from sop_runner.store.models import AuditEntry

NOT_VERIFIED_EXIT = 5


class NotVerified(SopError):
    """The file is not a document the records produced (exit 5, one line)."""

    exit_code = NOT_VERIFIED_EXIT


@dataclass(frozen=True)
class Verified:
    """What the records say of a verified file."""

    file_name: str
    title: str
    number: str
    request_id: int | None
    issued: str
    signers: list[dict[str, str]]

    def line(self, lang: str) -> str:
        """Return the one line `sop verify` prints."""
        names = "; ".join(
            f"{s['full_name']} ({s['jabatan']}{', NIP ' + s['nip'] if s['nip'] else ''})"
            f" [{s['fingerprint'] or '-'}]"
            for s in self.signers
        )
        none = "tanpa tanda tangan" if lang == "id" else "no signature"
        request = f", permintaan #{self.request_id}" if self.request_id else ""
        if lang == "en":
            request = f", request #{self.request_id}" if self.request_id else ""
            return (
                f"VALID: {self.file_name} is {self.title} number {self.number}{request}, "
                f"issued {self.issued}; signed by: {names or none}"
            )
        return (
            f"SAH: {self.file_name} adalah {self.title} nomor {self.number}{request}, "
            f"diterbitkan {self.issued}; ditandatangani oleh: {names or none}"
        )


def file_hash(path: Path) -> str:
    """Given a file, return its SHA-256 (hex). Raise SopError if it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        raise SopError(
            _("FILE: cannot read {path} ({reason}); give a PDF, HTML or Markdown document").format(
                path=path, reason=exc.strerror
            )
        ) from None


def verify_file(ctx: Context, path: Path, lang: str = "id") -> Verified:
    """Given a document file, return what the records say of it.

    Raise NotVerified if it is no document the records produced (edited, unknown, its
    issue missing from the audit trail, the trail broken, or a signature it shows gone).
    """
    digest = file_hash(path)
    with ctx.session() as session:
        row = session.scalars(
            select(IssuedDocument)
            .where(IssuedDocument.file_sha256 == digest)
            .order_by(IssuedDocument.id)
        ).first()
        if row is None:
            raise NotVerified(
                _(
                    "{file}: not a document of the records (SHA-256 {digest}… was never "
                    "issued; the file was edited or made elsewhere)"
                ).format(file=path.name, digest=digest[:16])
            )
        entry = session.get(AuditEntry, row.audit_seq) if row.audit_seq else None
        content = json.loads(entry.content) if entry else {}
        files = content.get("data", {}).get("files", {})
        if content.get("action") != "document.issued" or digest not in files.values():
            raise NotVerified(
                _(
                    "{file}: the audit trail holds no issue of this file "
                    "(number {number}); the store's document rows were edited"
                ).format(file=path.name, number=row.number)
            )
        if row.request_id is not None:
            request = get_request(session, row.request_id)
            shown = {s["fingerprint"] for s in row.signers if s["fingerprint"]}
            holding = {s.fingerprint for s in request_signers(session, request, ctx.trusted)}
            if not shown <= holding:
                raise NotVerified(
                    _(
                        "{file}: a signature it shows ({fingerprints}) "
                        "no longer verifies against the store"
                    ).format(file=path.name, fingerprints=", ".join(sorted(shown - holding)))
                )
        verified = Verified(
            file_name=path.name,
            title=row.title,
            number=row.number,
            request_id=row.request_id,
            issued=_when(row.issued_at.isoformat(), lang),
            signers=[dict(s) for s in row.signers],
        )
    _length, finding = audit.verify(ctx.engine)
    if finding is not None:
        raise NotVerified(
            _(
                "{file}: the audit trail is broken at entry {seq} "
                "({kind}); no document of it can be vouched for"
            ).format(file=path.name, seq=finding.seq, kind=finding.kind)
        )
    return verified


def _when(iso: str, lang: str) -> str:
    naskah = load_naskah()
    return dates.date_time(iso, naskah.time_zone, naskah.zone_name, lang)
