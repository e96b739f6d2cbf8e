"""The tables of SOP 5.1: the feasibility analysis, each disk wiped, the signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime

_BIG = BigInteger().with_variant(Integer, "sqlite")


class DismantleFeasibility(Base):
    """The technical and administrative feasibility analysis of one device (step 1)."""

    __tablename__ = "dismantle_feasibility"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    analysed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    findings: Mapped[dict[str, Any]] = mapped_column(JSON)
    blockers: Mapped[list[Any]] = mapped_column(JSON)


class DiskWipe(Base):
    """One disk wiped and verified (step 4), with the wipe log whose hash is certified."""

    __tablename__ = "disk_wipes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    host: Mapped[str] = mapped_column(String(128))
    device: Mapped[str] = mapped_column(String(256))
    size_bytes: Mapped[int] = mapped_column(_BIG)
    bytes_written: Mapped[int] = mapped_column(_BIG)
    seconds: Mapped[float] = mapped_column(Float)
    throughput_mib_s: Mapped[float] = mapped_column(Float)
    method_type: Mapped[str] = mapped_column(String(16))
    technique: Mapped[str] = mapped_column(Text)
    tool: Mapped[str] = mapped_column(Text)
    media: Mapped[dict[str, Any]] = mapped_column(JSON)
    verification: Mapped[dict[str, Any]] = mapped_column(JSON)
    verified: Mapped[bool] = mapped_column(Boolean)
    log_text: Mapped[str] = mapped_column(Text)
    log_sha256: Mapped[str] = mapped_column(String(64))
    wiped_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CertificateSignature(Base):
    """An ed25519 signature over a certificate's digest: the performer's or the validator's."""

    __tablename__ = "sanitization_signatures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    wipe_id: Mapped[int] = mapped_column(ForeignKey("disk_wipes.id"))
    role: Mapped[str] = mapped_column(String(16))  # performer | validator
    signer: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[str] = mapped_column(String(40))
    digest: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))
