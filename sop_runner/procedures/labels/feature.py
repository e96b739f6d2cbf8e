"""The labels feature: its command and the steps that label and draw (loaded when used)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.labels import MANIFEST, hooks

FEATURE = Feature(
    name=MANIFEST.name,
    procedures=("3.2",),
    commands=MANIFEST.commands,
    step_hooks={
        "1.2/6": hooks.install_labels,
        "3.2/2": hooks.device_labels,
        "3.2/3": hooks.cable_labels,
        "3.2/4": hooks.schema_step,
    },
)
