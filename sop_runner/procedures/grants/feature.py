"""The remote-access feature: its tables and recorders (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.grants import MANIFEST
from sop_runner.procedures.grants.models import (
    FirewallGrant,
    GrantCertificate,
    GrantChange,
    GrantEvent,
    GrantSession,
    GrantVendorKey,
    RemoteAccessLogEntry,
)
from sop_runner.procedures.grants.policy import PROCEDURE
from sop_runner.procedures.grants.recorders import RECORDERS

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=(PROCEDURE,),
    tables=(
        FirewallGrant,
        GrantEvent,
        GrantChange,
        RemoteAccessLogEntry,
        GrantVendorKey,
        GrantCertificate,
        GrantSession,
    ),
    recorders=RECORDERS,
    commands=MANIFEST.commands,
)
