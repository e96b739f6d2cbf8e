"""SOP 4.2 OS upgrade and SOP 4.1 hardware upgrade: records, verdicts, documents.

The playbooks (os_upgrade_*.yml, hw_upgrade_*.yml) hand their results back
through set_stats; ``recorders`` stores them, ``verdicts`` judges them and
``documents`` writes the analysis report, the upgrade report and the
configuration documentation (`sop upgrade report`).  A hardware upgrade's
specifications go to the device register through its functions.
Only the manifest is imported here; the feature (``feature``) loads on use.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("SOP 4.1/4.2 upgrades: analysis report, upgrade report, documentation.")

MANIFEST = Manifest(
    name="upgrade",
    tables=f"{__name__}.models",
    commands={"upgrade": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
