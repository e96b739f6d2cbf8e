"""The tables of SOP 6.1 and 6.2: resource samples, network scans, security incidents."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Integer, String, Text
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


class NetworkScan(Base):
    """What SOP 6.2 step 1 found on one host: its listening ports, and on a firewall the
    ports it accepts and the digest of its rules (without the grants' set elements)."""

    __tablename__ = "network_scans"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    host: Mapped[str] = mapped_column(String(128))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    listening: Mapped[list] = mapped_column(JSON)  # [[proto, address, port], …]
    accepted: Mapped[list] = mapped_column(JSON)  # [[proto, port], …] (firewalls)
    ruleset_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Incident(Base):
    """An information security incident (SOP 6.2 step 4), for the incident response team.

    Opened by the analysis of a scan (or by a person), closed by a person's signed
    action with what was done; every change is in the audit trail.
    """

    __tablename__ = "security_incidents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(32))  # port_unexplained | ruleset_changed | …
    host: Mapped[str] = mapped_column(String(128))
    severity: Mapped[str] = mapped_column(String(16))  # warning | critical
    summary: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # open | closed
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    close_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    closed_signed: Mapped[dict | None] = mapped_column(JSON, nullable=True)
