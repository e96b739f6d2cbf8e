"""The tables of SOP 4.1/4.2: what an upgrade run recorded per host, and each package changed."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class UpgradeRecord(Base):
    """One record of an upgrade run for one host: analysis, backup, packages, tests, recovery."""

    __tablename__ = "upgrade_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    step_record_id: Mapped[int | None] = mapped_column(ForeignKey("step_records.id"), nullable=True)
    host: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ok: Mapped[bool] = mapped_column(Boolean)
    data: Mapped[dict[str, Any]] = mapped_column(JSON)


class UpgradePackageChange(Base):
    """One package whose version the OS upgrade changed: before and after."""

    __tablename__ = "upgrade_package_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    package: Mapped[str] = mapped_column(String(256))
    version_before: Mapped[str] = mapped_column(String(256))
    version_after: Mapped[str] = mapped_column(String(256))
