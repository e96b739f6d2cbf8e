"""The configuration feature: its tables, recorders, derived parameter and templates."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.config import MANIFEST
from sop_runner.procedures.config.digest import derive_31
from sop_runner.procedures.config.documents import TEMPLATES
from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.procedures.config.recorders import record_config_changes, record_config_rollbacks

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("3.1",),
    tables=(ConfigLogEntry, ConfigDocument),
    recorders={
        "config_changes": record_config_changes,
        "config_rollbacks": record_config_rollbacks,
    },
    derived_params={"3.1": derive_31},
    commands=MANIFEST.commands,
    on_startup=MANIFEST.on_startup,
    templates=TEMPLATES,
)
