"""SOP 3.1 device configuration: the configuration log, the documentation, the plan.

- ``config_apply.yml`` (step 4, with its test) hands back ``config_changes`` for
  every device whose change passed its test and ``config_rollbacks`` for every one
  rolled back; ``recorders`` turn each passed change into a configuration-log entry
  and a documentation record, each rolled-back one into a documentation record only
  (``models``).
- A 3.1 request fixes ``config_digest`` (``digest``), the fingerprint of the desired
  configuration its approval covers.
- ``sop config docs ID`` writes the configuration documentation and the result
  report for the penanggung jawab; ``sop config log`` lists the log (``documents``).
- ``sop plan`` renders what would change, per device (``plan``).
- ``sop config recover`` rolls back network changes whose revert watchdog died
  (``recover``, which the start of ``sop`` also runs).
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Feature
from sop_runner.procedures.config.digest import derive_31
from sop_runner.procedures.config.documents import TEMPLATES
from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.procedures.config.recorders import record_config_changes, record_config_rollbacks
from sop_runner.procedures.config.recover import on_startup

CONFIG_HELP = "SOP 3.1 configuration: log and documentation."
PLAN_HELP = "Show what the desired configuration would change (check mode + diff)."


FEATURE = Feature(
    name="config",
    procedures=("3.1",),
    tables=(ConfigLogEntry, ConfigDocument),
    recorders={
        "config_changes": record_config_changes,
        "config_rollbacks": record_config_rollbacks,
    },
    derived_params={"3.1": derive_31},
    commands={
        "config": Command(
            help=CONFIG_HELP, load=lambda: import_module(f"{__name__}.cli").config_app
        ),
        "plan": Command(help=PLAN_HELP, load=lambda: import_module(f"{__name__}.cli").plan_app),
    },
    on_startup=(on_startup,),
    templates=TEMPLATES,
)
