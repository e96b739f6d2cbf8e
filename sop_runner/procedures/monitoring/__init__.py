"""SOP 6.1 resource monitoring: load records from resource_monitor.yml and their report.

It has no command and no start-up hook: its manifest is its name alone, and the
feature (``feature``) loads when a command needs it.
"""

from __future__ import annotations

from sop_runner.features import Manifest, lazy_exports

MANIFEST = Manifest(name="monitoring", tables=f"{__name__}.models")

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
