"""SOP 4.2 OS upgrade and SOP 4.1 hardware upgrade: records, verdicts, documents.

The playbooks (os_upgrade_*.yml, hw_upgrade_*.yml) hand their results back
through set_stats; ``recorders`` stores them, ``verdicts`` judges them and
``documents`` writes the analysis report, the upgrade report and the
configuration documentation (`sop upgrade report`).  A hardware upgrade's
specifications go to the device register through its functions.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from sop_runner.features import Command, Feature
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.procedures.upgrade.recorders import RECORDERS

HELP = "SOP 4.1/4.2 upgrades: analysis report, upgrade report, documentation."


FEATURE = Feature(
    name="upgrade",
    procedures=("4.1", "4.2"),
    tables=(UpgradeRecord, UpgradePackageChange),
    recorders=RECORDERS,
    commands={"upgrade": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
    templates=Path(__file__).parent / "templates",
)
