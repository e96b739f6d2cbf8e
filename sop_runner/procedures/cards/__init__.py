"""SOP 6.3 and 6.4: the control cards (kartu kontrol) of power and of the room climate.

The petugas records an entry on one of four cards with `sop kartu`: electrical devices
(``listrik``, with the UPS's NUT readings where the place has one), the generator set
test (``genset``, outside working hours), fuel (``bbm``, in percent) and temperature &
humidity (``suhu``, typed or read from the room's SNMP sensor).  Each entry is signed
(the paraf); a problem opens the report to the penanggung jawab with a recommendation
(and for the room the adjustment record) and a notice through the notifier.  `sop
kartu cetak` prints a month of a card as an official document.

Modules: ``policy`` (pure rules: working hours, the envelope, the dew point),
``settings`` (``kartu_kontrol`` in site.yml), ``readers`` (upsc, snmpget), ``models``,
``service`` (recording, follow-ups), ``documents`` and ``chart`` (the cards and the
reports), ``section`` (the run report's part), ``words``, ``cli``; ``feature`` is
loaded on use, only the manifest is imported here.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports

MANIFEST = Manifest(
    name="cards",
    tables=f"{__name__}.models",
    commands={
        "kartu": Command(
            help="SOP 6.3/6.4: kartu kontrol catu daya dan suhu & kelembaban (control cards).",
            # Loaded only when `sop kartu` runs.
            load=lambda: import_module(f"{__name__}.cli").cli,
        )
    },
)

# FEATURE (its tables, …) is imported on first use; a `sop` start reads MANIFEST alone.
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
