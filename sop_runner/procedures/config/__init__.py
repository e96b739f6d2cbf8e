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

Only the manifest is imported here; the feature (``feature``) loads on use.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_
from sop_runner.procedures.config.recover import on_startup

CONFIG_HELP = N_("SOP 3.1 configuration: log and documentation.")
PLAN_HELP = N_("Show what the desired configuration would change (check mode + diff).")


MANIFEST = Manifest(
    name="config",
    tables=f"{__name__}.models",
    commands={
        "config": Command(
            help=CONFIG_HELP, load=lambda: import_module(f"{__name__}.cli").config_app
        ),
        "plan": Command(help=PLAN_HELP, load=lambda: import_module(f"{__name__}.cli").plan_app),
    },
    # Light when idle (one directory listing): it runs at every start of `sop`.
    on_startup=(on_startup,),
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
