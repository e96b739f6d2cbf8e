"""SOP 5.1 dismantle: feasibility analysis, wipe records, register changes, certificate.

The playbooks (dismantle_*.yml) hand their results back through set_stats;
``recorders`` stores them and moves the device along the register, ``policy``
holds the rules (what blocks a dismantling, what a certificate says, who
signs), ``certificate`` assembles and signs the NIST SP 800-88 Appendix G
certificates and ``documents`` writes the feasibility analysis and the
dismantle report (`sop dismantle report`, `sop dismantle sign`); ``bootdisk``
records the boot disk's erasure by an external tool once the device is halted
(`sop dismantle boot-disk`).
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from sop_runner.features import Command, Feature
from sop_runner.procedures.dismantle.models import (
    CertificateSignature,
    DiskWipe,
    DismantleFeasibility,
)
from sop_runner.procedures.dismantle.recorders import RECORDERS

HELP = "SOP 5.1 dismantle: feasibility report, certificate of sanitization."


FEATURE = Feature(
    name="dismantle",
    procedures=("5.1",),
    tables=(DismantleFeasibility, DiskWipe, CertificateSignature),
    recorders=RECORDERS,
    commands={"dismantle": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
    templates=Path(__file__).parent / "templates",
)
