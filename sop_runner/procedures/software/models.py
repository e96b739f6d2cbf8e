"""The tables of the software register: entries, their history, the environment analyses."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class SoftwareEntry(Base):
    """One software on one host (a row of the Daftar perangkat lunak Pusat Data)."""

    __tablename__ = "software_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(128))
    host: Mapped[str] = mapped_column(String(128))
    owner: Mapped[str] = mapped_column(String(128), default="")
    licence: Mapped[str] = mapped_column(String(128), default="")
    installed_by: Mapped[str] = mapped_column(String(128))
    installed_on: Mapped[date] = mapped_column(Date)
    # "jika source code diserahkan pada diskominfo" (SOP 1.3 narrative step 5)
    source_code_handed_over: Mapped[bool] = mapped_column(Boolean, default=False)
    # Installed by the vendor remotely (narrative step 6, through a 2.4 grant).
    vendor_remote: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | removed
    notes: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)


class SoftwareChange(Base):
    """One change of a register entry: what, when, by whom, in which run, the values."""

    __tablename__ = "software_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("software_entries.id"))
    action: Mapped[str] = mapped_column(String(16))  # added | updated | removed
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")


class SoftwareAnalysis(Base):
    """The environment analysis of one host for one software (SOP 1.3 steps 2–3)."""

    __tablename__ = "software_analyses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    software: Mapped[str] = mapped_column(String(128))
    met: Mapped[bool] = mapped_column(Boolean)
    results: Mapped[list[Any]] = mapped_column(JSON)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
