"""The tables of the device register: devices, their status history, their specifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from sop_runner.store.models import Base
from sop_runner.store.types import UTCDateTime


class Device(Base):
    """One device of the register (Buku daftar perangkat)."""

    __tablename__ = "register_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    asset_number: Mapped[str] = mapped_column(String(64), default="")
    owner: Mapped[str] = mapped_column(String(128), default="")
    function: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    notes: Mapped[str] = mapped_column(Text, default="")


class DeviceStatusChange(Base):
    """One status change of a device: from, to, when, by whom, in which run, why."""

    __tablename__ = "register_status_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("register_devices.id"))
    from_status: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_status: Mapped[str] = mapped_column(String(16))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    changed_by: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")


class DeviceSpecChange(Base):
    """The hardware specification of a device at one moment (SOP 4.1 step 8), kept as history."""

    __tablename__ = "register_spec_history"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("register_devices.id"))
    phase: Mapped[str] = mapped_column(String(16))  # before | after (an upgrade) | current
    spec: Mapped[dict[str, Any]] = mapped_column(JSON)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[str] = mapped_column(String(64))
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id"), nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
