"""The register feature: its tables and command (loaded when a command needs it)."""

from __future__ import annotations

from sop_runner.features import Feature
from sop_runner.procedures.register import MANIFEST, facility, install, receiving_steps
from sop_runner.procedures.register import models as m

FEATURE = Feature(
    name=MANIFEST.name,
    tables=(
        m.SiteRow,
        m.Room,
        m.Rack,
        m.PowerFeed,
        m.Delivery,
        m.Device,
        m.DeviceStatusChange,
        m.DeviceSpecChange,
        m.Interface,
        m.Prefix,
        m.IPAddress,
        m.Cable,
        m.FacilityRecord,
    ),
    commands=MANIFEST.commands,
    on_startup=MANIFEST.on_startup,
    param_checks={"1.2": install.check_params, "1.4": facility.check_params},
    # SOP 1.2: the register decides step 2's branch, step 3's report and step 4's entry.
    step_hooks={
        "1.2/2": install.resources,
        "1.2/3": install.postponement,
        "1.2/4": install.register_entry,
        # SOP 1.1: the delivery's arrival, staging and completeness check.
        "1.1/1": receiving_steps.arrival,
        "1.1/2": receiving_steps.staging,
        "1.1/3": receiving_steps.completeness,
        # SOP 1.4: the berita acara (vendor's paper copy, PJ's acknowledgement), the entry.
        "1.4/6": facility.berita_acara_step,
        "1.4/7": facility.register_step,
    },
)
