"""The tables of SOP 3.1: the configuration log and the configuration documentation."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class ConfigLogEntry(Base):
    """Buku log konfigurasi (SOP 3.1): only changes that passed their test."""

    __tablename__ = "config_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    logged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(String(128))
    substance: Mapped[str] = mapped_column(Text)  # the diff
    notes: Mapped[str] = mapped_column(Text, default="")


class ConfigDocument(Base):
    """Dokumentasi konfigurasi (SOP 3.1 step 7): one changed device of one run."""

    __tablename__ = "config_documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    log_id: Mapped[int | None] = mapped_column(ForeignKey("config_log.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    device: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))  # server | network_device
    purpose: Mapped[str] = mapped_column(Text)
    existing_state: Mapped[str] = mapped_column(Text)  # the configuration before
    steps: Mapped[list[Any]] = mapped_column(JSON, default=list)
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    diff: Mapped[str] = mapped_column(Text)
