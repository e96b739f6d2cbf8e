"""The table of SOP 6.1: one record of a host's resource load per monitoring run."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime

_BIG = BigInteger().with_variant(Integer, "sqlite")


class ResourceSample(Base):
    """Monitoring record of SOP 6.1: load of CPU, RAM, disk and network."""

    __tablename__ = "resource_samples"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    host: Mapped[str] = mapped_column(String(128))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    cpu_count: Mapped[int] = mapped_column(Integer)
    load_1m: Mapped[float] = mapped_column(Float)
    memory_total_mb: Mapped[int] = mapped_column(Integer)
    memory_used_mb: Mapped[int] = mapped_column(Integer)
    disk_total_mb: Mapped[int] = mapped_column(Integer)
    disk_used_mb: Mapped[int] = mapped_column(Integer)
    net_rx_bytes: Mapped[int] = mapped_column(_BIG)
    net_tx_bytes: Mapped[int] = mapped_column(_BIG)
