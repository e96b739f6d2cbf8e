"""The store's tables of the documents: numbers given out and files issued."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class DocumentNumber(Base):
    """A document's nomor naskah: one per kind and subject, one yearly sequence for all kinds."""

    __tablename__ = "document_numbers"
    __table_args__ = (
        UniqueConstraint("kind", "subject"),
        UniqueConstraint("kind", "year", "sequence"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    # What the number is of, e.g. "request/12" (a request's report) or a feature's own key.
    subject: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    sequence: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(120))
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IssuedDocument(Base):
    """One file written of a document: its bytes' SHA-256, for `sop verify`."""

    __tablename__ = "issued_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    title: Mapped[str] = mapped_column(Text)
    file_format: Mapped[str] = mapped_column(String(8))  # md | html | pdf
    file_name: Mapped[str] = mapped_column(String(255))
    file_sha256: Mapped[str] = mapped_column(String(64), index=True)
    # The document's content hash printed on it (and in its QR code), the same in every format.
    content_sha256: Mapped[str] = mapped_column(String(64))
    # The signatures it shows: [{name, full_name, nip, jabatan, role, fingerprint, signed_at}].
    signers: Mapped[list[Any]] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    audit_seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
