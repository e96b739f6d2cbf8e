"""SOP 6.1 and 6.2 monitoring: records in Prometheus, periodic reports, incidents.

Modules: ``prom`` (Prometheus's HTTP API), ``periodic`` and ``analysis`` (the
records of a period and their analysis), ``charts`` (graphs), ``report61`` (the
periodic report of 6.1), ``backfill`` (history for tests and benches), ``models``,
``recorders``, ``repair`` and ``report`` (one sample per run of resource_monitor.yml,
the repair request), ``cli`` (`sop monitoring`).  Its manifest names its command
and its tables; the feature (``feature``) loads when a command needs it.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("SOP 6.1/6.2 monitoring: periodic reports from Prometheus, targets, incidents.")

MANIFEST = Manifest(
    name="monitoring",
    tables=f"{__name__}.models",
    commands={
        "monitoring": Command(
            help=HELP,
            # Loaded only when `sop monitoring` runs.
            load=lambda: import_module(f"{__name__}.cli").cli,
        )
    },
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
