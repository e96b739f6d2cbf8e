"""The physical-access feature: its tables and command (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.access import MANIFEST
from sop_runner.procedures.access.models import (
    AccessBadge,
    AccessDoorEvent,
    AccessEntry,
    AccessExtension,
    AccessPermission,
    AccessRetention,
)

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("2.1", "2.2", "2.3"),
    tables=(
        AccessPermission,
        AccessEntry,
        AccessExtension,
        AccessBadge,
        AccessDoorEvent,
        AccessRetention,
    ),
    commands=MANIFEST.commands,
)
