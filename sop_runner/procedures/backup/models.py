"""The tables of SOP 7.1–7.5: backups, restores, retention passes, repository checks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class BackupRecord(Base):
    """Catatan backup (SOP 7.1/7.2): one snapshot or one failed attempt."""

    __tablename__ = "backup_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # file | database
    host: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(Text)
    repository: Mapped[str] = mapped_column(Text)
    snapshot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size_bytes: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RestoreRecord(Base):
    """Catatan restore (SOP 7.3/7.4): one restore, its verification, or its refusal."""

    __tablename__ = "backup_restores"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    restored_at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(16))  # file | database
    host: Mapped[str] = mapped_column(String(128))
    snapshot_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    repository: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(Text)  # path or engine/database
    source: Mapped[str] = mapped_column(Text, default="")
    size_bytes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    overwrite: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16))  # ok | refused | failed | mismatch
    verified: Mapped[bool] = mapped_column(Boolean, default=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class RetentionRecord(Base):
    """One retention pass (SOP 7.5) over one repository, with what it deleted."""

    __tablename__ = "backup_retention"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(128))
    repository: Mapped[str] = mapped_column(Text)
    today: Mapped[str] = mapped_column(String(10))
    max_age_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(16))  # ok | failed
    deleted: Mapped[list[Any]] = mapped_column(JSON, default=list)
    kept_last: Mapped[list[Any]] = mapped_column(JSON, default=list)
    future: Mapped[list[Any]] = mapped_column(JSON, default=list)
    pruned: Mapped[bool] = mapped_column(Boolean, default=False)
    error: Mapped[str] = mapped_column(Text, default="")


class RepositoryCheck(Base):
    """One `restic check` of a repository and its result."""

    __tablename__ = "backup_repository_checks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    host: Mapped[str] = mapped_column(String(128))
    repository: Mapped[str] = mapped_column(Text)
    procedure: Mapped[str] = mapped_column(String(8))
    ok: Mapped[bool] = mapped_column(Boolean)
    subset: Mapped[str] = mapped_column(String(32), default="")
    message: Mapped[str] = mapped_column(Text, default="")
