"""Buku daftar perangkat Pusat Data: the device register, with its status history.

A device is never deleted: removing it from the register (SOP 5.1 step 6) is
a status change (active → decommissioning → offline → disposed) with an
entry in the history table and in the audit trail.  SOP 1.x adds devices as
*received*; SOP 5.1 takes them out; SOP 4.1 keeps their specification history.

Other features call the functions exported here
(``from sop_runner.procedures import register; register.history(session, name)``),
never the tables.  They, like ``FEATURE``, are imported on first use: a `sop`
start reads ``MANIFEST`` alone (sop_runner/features.py).
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("Buku daftar perangkat (device register) and its status history.")
_SERVICE = (
    "STATUSES",
    "TRANSITIONS",
    "add_device",
    "advance_to",
    "change_status",
    "get_device",
    "history",
    "record_spec",
    "spec_history",
)
__all__ = ["FEATURE", "MANIFEST", *_SERVICE]

MANIFEST = Manifest(
    name="register",
    tables=f"{__name__}.models",
    commands={"register": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

__getattr__ = lazy_exports(__name__, {"FEATURE": "feature", **dict.fromkeys(_SERVICE, "service")})
