"""SOP 2.4 tables: the grants, what happened to them, and the remote account log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime

# A grant is active while it may be on the firewall.
ACTIVE = ("opening", "open")
# Still to come or active: what `extend`, `revoke` and `list` act on.
LIVE = (*ACTIVE, "scheduled")


class RemoteAccessLogEntry(Base):
    """Daftar log akun remot (SOP 2.4)."""

    __tablename__ = "remote_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(128))
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    petugas: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class FirewallGrant(Base):
    """One remote access grant: who, from where, to which port, from when until when."""

    __tablename__ = "firewall_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The request that opened it.
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    log_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_access_log.id"), nullable=True
    )
    user: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    destination: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8))
    firewall: Mapped[str] = mapped_column(String(128))
    backend: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    petugas: Mapped[str] = mapped_column(String(64))
    # scheduled | opening | open | closed | failed
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # expiry | revoke | reconcile
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)


class GrantEvent(Base):
    """What happened to a grant (or, with no grant, an anomaly found on a firewall)."""

    __tablename__ = "firewall_grant_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("firewall_grants.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # requested | opened | extended | closed | failed | anomaly
    event: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GrantChange(Base):
    """Which grant a 2.4 request made by `sop grant` changes, and how.

    The recorder of the grant playbook's result reads it to apply the firewall's
    answer to that grant; a 2.4 request with no row here came from `sop request`.
    """

    __tablename__ = "firewall_grant_changes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"), index=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("firewall_grants.id"))
    # open | extend | revoke (reconcile: open, for a scheduled grant whose start has come)
    action: Mapped[str] = mapped_column(String(16))
    # What the event of the change says beside the firewall's answer (e.g. by, reason).
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class GrantVendorKey(Base):
    """A remote user's own SSH public key certified for a grant (`sop grant open --vendor-key`)."""

    __tablename__ = "grant_vendor_keys"
    grant_id: Mapped[int] = mapped_column(ForeignKey("firewall_grants.id"), primary_key=True)
    public_key: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    # The account on the target (principal ACCOUNT@TARGET) and where its certificate goes.
    account: Mapped[str] = mapped_column(String(32))
    certificate_path: Mapped[str] = mapped_column(Text)


class GrantCertificate(Base):
    """One certificate the issuer signed for a grant's vendor key (a new one per extension)."""

    __tablename__ = "grant_certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("firewall_grants.id"), index=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id"))
    # Up to 63 bits (sop_runner/issuer/certs.py); as text, the same on SQLite and PostgreSQL.
    serial: Mapped[str] = mapped_column(String(24))
    key_id: Mapped[str] = mapped_column(String(400))
    principal: Mapped[str] = mapped_column(String(200))
    valid_before: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class GrantSession(Base):
    """A session a grant's certificate opened on the target, as the target's sshd logged it."""

    __tablename__ = "grant_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("firewall_grants.id"), index=True)
    key_id: Mapped[str] = mapped_column(String(400))
    host: Mapped[str] = mapped_column(String(128))
    account: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
