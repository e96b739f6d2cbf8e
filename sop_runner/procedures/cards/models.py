"""The tables of the control cards (SOP 6.3, 6.4): card entries and what they opened."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class CardEntry(Base):
    """One line of a control card (kartu kontrol), signed by the petugas (the paraf).

    ``card`` is listrik, genset, bbm (6.3) or suhu (6.4).  ``signed`` is the signature
    block of the audit entry ``card.entry`` over exactly the values of this row
    (``service.payload``): a row edited afterwards no longer verifies.
    """

    __tablename__ = "card_entries"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    card: Mapped[str] = mapped_column(String(16))
    place: Mapped[str] = mapped_column(String(64))
    # When the petugas looked (``--at``); the signature block holds when it was signed.
    observed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    component: Mapped[str] = mapped_column(String(128), default="")
    condition: Mapped[str] = mapped_column(String(16), default="")
    fuel_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    temperature_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    humidity_percent: Mapped[float | None] = mapped_column(Float, nullable=True)
    dew_point_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    # Where the values came from: "manual", "nut:NAME@HOST:PORT", "snmp:HOST:PORT".
    source: Mapped[str] = mapped_column(String(160), default="manual")
    readings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")
    # A genset test inside working hours is kept only with the reason the petugas gave.
    outside_hours_reason: Mapped[str] = mapped_column(Text, default="")
    problems: Mapped[list[str]] = mapped_column(JSON, default=list)
    severity: Mapped[str] = mapped_column(String(16), default="info")
    recommendation: Mapped[str] = mapped_column(Text, default="")
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    petugas: Mapped[str] = mapped_column(String(64))
    signed: Mapped[dict[str, Any]] = mapped_column(JSON)


class CardFollowUp(Base):
    """What a problem of an entry opened: the report to the penanggung jawab (6.3 step 5,
    6.4 step 4) and, for the room, the adjustment record (6.4 step 3)."""

    __tablename__ = "card_followups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("card_entries.id"))
    kind: Mapped[str] = mapped_column(String(16))  # laporan | penyesuaian
    status: Mapped[str] = mapped_column(String(16), default="terbuka")  # terbuka | selesai
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # The report's document number and files, the notice's counts, the action taken.
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    closed_by: Mapped[str] = mapped_column(String(64), default="")
    signed: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
