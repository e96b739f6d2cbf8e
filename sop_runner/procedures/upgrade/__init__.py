"""SOP 4.2 OS upgrade and SOP 4.1 hardware upgrade: records, verdicts, documents.

The playbooks (os_upgrade_*.yml, hw_upgrade_*.yml) hand their results back
through set_stats; ``recorders`` stores them, ``verdicts`` judges them and
``documents`` writes the analysis report, the upgrade report and the
configuration documentation (`sop upgrade report`).  A hardware upgrade's
specifications go to the device register through its functions.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner.features import Command, Feature
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.procedures.upgrade.recorders import RECORDERS

if TYPE_CHECKING:
    import typer

HELP = "SOP 4.1/4.2 upgrades: analysis report, upgrade report, documentation."


def _cli() -> typer.Typer:
    from sop_runner.procedures.upgrade.cli import cli

    return cli


FEATURE = Feature(
    name="upgrade",
    procedures=("4.1", "4.2"),
    tables=(UpgradeRecord, UpgradePackageChange),
    recorders=RECORDERS,
    commands={"upgrade": Command(help=HELP, load=_cli)},
    templates=Path(__file__).parent / "templates",
)
