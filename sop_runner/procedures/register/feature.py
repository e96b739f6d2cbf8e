"""The register feature: its tables and command (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.register import MANIFEST
from sop_runner.procedures.register import models as m

FEATURE = Feature(
    name=MANIFEST.name,
    tables=(
        m.SiteRow,
        m.Room,
        m.Rack,
        m.PowerFeed,
        m.Delivery,
        m.Device,
        m.DeviceStatusChange,
        m.DeviceSpecChange,
        m.Interface,
        m.Prefix,
        m.IPAddress,
        m.Cable,
    ),
    commands=MANIFEST.commands,
)
