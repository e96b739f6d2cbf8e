"""SOP 5.1 dismantle: feasibility analysis, wipe records, register changes, certificate.

The playbooks (dismantle_*.yml) hand their results back through set_stats;
``recorders`` stores them and moves the device along the register, ``policy``
holds the rules (what blocks a dismantling, what a certificate says, who
signs), ``certificate`` assembles and signs the NIST SP 800-88 Appendix G
certificates and ``documents`` writes the feasibility analysis and the
dismantle report (`sop dismantle report`, `sop dismantle sign`); ``bootdisk``
records the boot disk's erasure by an external tool once the device is halted
(`sop dismantle boot-disk`).
Only the manifest is imported here; the feature (``feature``) loads on use.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("SOP 5.1 dismantle: feasibility report, certificate of sanitization.")

MANIFEST = Manifest(
    name="dismantle",
    tables=f"{__name__}.models",
    commands={"dismantle": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
