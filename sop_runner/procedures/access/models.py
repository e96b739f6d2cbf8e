"""SOP 2.1–2.3 tables: the access log book, permissions, extensions, the door's record.

No column holds an identity number: a deposited document is its type, its last
four characters and a salted scrypt hash (UU 27/2022 on personal data).  The
audit trail holds no personal data either: signed actions cover a digest of the
personal fields with a per-entry nonce, which retention deletes with the names.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class AccessPermission(Base):
    """The penanggung jawab's signed permission for a vendor or a guest to enter."""

    __tablename__ = "access_permissions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # vendor | tamu
    person_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    organisation: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purpose: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(64))
    signed: Mapped[dict[str, Any]] = mapped_column(JSON)
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime] = mapped_column(UTCDateTime)
    nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    used_by: Mapped[int | None] = mapped_column(Integer, nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccessEntry(Base):
    """One visit in the Buku Log akses: who, why, where, with whose permission, in and out."""

    __tablename__ = "access_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # vendor | petugas | tamu
    # For a petugas, the registry identity; for others None.
    operator: Mapped[str | None] = mapped_column(String(64), nullable=True)
    person_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    organisation: Mapped[str | None] = mapped_column(String(200), nullable=True)
    purpose: Mapped[str] = mapped_column(Text)
    rooms: Mapped[list[str]] = mapped_column(JSON)
    # coordination | permission | petugas
    authorisation: Mapped[str] = mapped_column(String(16))
    coordination_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    permission_id: Mapped[int | None] = mapped_column(
        ForeignKey("access_permissions.id"), nullable=True
    )
    escort: Mapped[str | None] = mapped_column(String(64), nullable=True)
    id_type: Mapped[str | None] = mapped_column(String(16), nullable=True)
    id_last4: Mapped[str | None] = mapped_column(String(4), nullable=True)
    id_hash: Mapped[str | None] = mapped_column(String(128), nullable=True)
    id_salt: Mapped[str | None] = mapped_column(String(64), nullable=True)
    gadgets: Mapped[str | None] = mapped_column(Text, nullable=True)
    rules: Mapped[list[str]] = mapped_column(JSON)
    time_in: Mapped[datetime] = mapped_column(UTCDateTime)
    # The Mutu Baku's end, moved by extensions.
    allowed_until: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    signed_in: Mapped[dict[str, Any]] = mapped_column(JSON)
    time_out: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    id_returned: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    gadgets_returned: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    door_locked: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    checked_out_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    signed_out: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # The 2.1–2.3 request the visit belongs to (its run's report shows it).
    request_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    nonce: Mapped[str | None] = mapped_column(String(64), nullable=True)
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The allowed end the last overdue notice was sent for (one notice per overrun).
    notified_until: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class AccessExtension(Base):
    """A visit's time moved past the Mutu Baku, with the reason and who signed it."""

    __tablename__ = "access_extensions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("access_entries.id"), index=True)
    seconds: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    signer: Mapped[str] = mapped_column(String(64))
    signed: Mapped[dict[str, Any]] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessBadge(Base):
    """Which petugas a door terminal's user number (PIN) is."""

    __tablename__ = "access_badges"
    pin: Mapped[str] = mapped_column(String(32), primary_key=True)
    operator: Mapped[str] = mapped_column(String(64))
    set_by: Mapped[str] = mapped_column(String(64))
    signed: Mapped[dict[str, Any]] = mapped_column(JSON)


class AccessDoorEvent(Base):
    """One event of the door's own record (face / fingerprint terminal), as imported."""

    __tablename__ = "access_door_events"
    __table_args__ = (UniqueConstraint("device", "pin", "at", "direction"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device: Mapped[str] = mapped_column(String(64))
    pin: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    direction: Mapped[str] = mapped_column(String(8))  # in | out
    verify: Mapped[str] = mapped_column(String(16))  # fingerprint | face | card | password | …
    source_file: Mapped[str] = mapped_column(String(255))
    source_sha256: Mapped[str] = mapped_column(String(64))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)


class AccessRetention(Base):
    """A proposal to anonymise old entries: who proposed, the PJ's approval, when applied."""

    __tablename__ = "access_retention"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    entries: Mapped[list[int]] = mapped_column(JSON)
    permissions: Mapped[list[int]] = mapped_column(JSON)
    proposed_by: Mapped[str] = mapped_column(String(64))
    proposed_signed: Mapped[dict[str, Any]] = mapped_column(JSON)
    proposed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    approved_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    approved_signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    applied_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
