"""The tables of the one store (SQLite by default, PostgreSQL by URL)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from sop_runner.store.types import UTCDateTime


class Base(DeclarativeBase):
    """The declarative base of every table of the store."""


class Request(Base):
    """A work order (Surat Perintah Tugas): procedure, targets, parameters."""

    __tablename__ = "requests"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    procedure_id: Mapped[str] = mapped_column(String(8))
    targets: Mapped[list[Any]] = mapped_column(JSON)
    params: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(40))  # ISO text: hashed exactly as stored
    status: Mapped[str] = mapped_column(String(16), default="open")
    # The requester's signature block (sop_runner/trust/trail.py) over the request,
    # and the registry version it was made under.
    registry_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # What the request hits, fixed when it was made (services, critical ones, the gates
    # it needs; gates.fixed_impact): inside the hash the requester and approvers sign.
    impact: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    # How a request was closed early (cancelled): who, when, why, and their signature.
    closed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class Approval(Base):
    """A signed decision by an operator on one gate of one request."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    request_hash: Mapped[str] = mapped_column(String(64))
    step_number: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    signer: Mapped[str] = mapped_column(String(64))
    decision: Mapped[str] = mapped_column(String(8))  # approve | reject
    reason: Mapped[str] = mapped_column(Text, default="")
    signed_at: Mapped[str] = mapped_column(String(40))
    expires_at: Mapped[str] = mapped_column(String(40))
    signature: Mapped[str] = mapped_column(String(128))
    # The signer's key (SHA256 fingerprint) and the registry version in force.
    fingerprint: Mapped[str] = mapped_column(String(64), default="")
    registry_version: Mapped[int | None] = mapped_column(Integer, nullable=True)


class Run(Base):
    """One execution of a request's procedure; resumable after a failure."""

    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    operator: Mapped[str] = mapped_column(String(64))
    # running | waiting | failed | succeeded | outside (a gated step run by a plain
    # ansible-playbook, claimed by the gate: sop_runner/claims.py)
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Who holds the run while it runs (process, host, since, the digest of the token
    # its plays show the gate): one run of a request at a time.
    claim: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class StepRecord(Base):
    """What happened at one step of a run, held against its Mutu Baku."""

    __tablename__ = "step_records"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    step_number: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16))  # done | failed | skipped
    confirmed_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    duration_seconds: Mapped[float | None] = mapped_column(Float, nullable=True)
    standard_max_seconds: Mapped[int | None] = mapped_column(Integer, nullable=True)
    over_standard: Mapped[bool] = mapped_column(Boolean, default=False)
    runner_ident: Mapped[str | None] = mapped_column(String(64), nullable=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # A human step's confirmation: the confirming operator's signature block.
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class RunnerEvent(Base):
    """An ansible-runner event of an automated step, as streamed."""

    __tablename__ = "runner_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("runs.id"))
    step_number: Mapped[int] = mapped_column(Integer)
    counter: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(64))
    host: Mapped[str | None] = mapped_column(String(128), nullable=True)
    task: Mapped[str | None] = mapped_column(Text, nullable=True)
    changed: Mapped[bool] = mapped_column(Boolean, default=False)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)
    created: Mapped[str | None] = mapped_column(String(40), nullable=True)


class AuditEntry(Base):
    """One link of the append-only audit chain.

    ``content`` is canonical JSON (time, actor, action, subject, data) and is
    the only source of truth; ``entry_hash`` = SHA-256(prev_hash + content).
    """

    __tablename__ = "audit_entries"
    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    content: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    entry_hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The newest hash and length of the chain, so a cut tail is noticed."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    length: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    head_hash: Mapped[str] = mapped_column(String(64))
