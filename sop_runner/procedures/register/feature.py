"""The register feature: its tables and command (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.register import MANIFEST
from sop_runner.procedures.register.models import Device, DeviceSpecChange, DeviceStatusChange

FEATURE = Feature(
    name=MANIFEST.name,
    tables=(Device, DeviceStatusChange, DeviceSpecChange),
    commands=MANIFEST.commands,
)
