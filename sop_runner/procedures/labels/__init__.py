"""SOP 3.2 labelling: device and cable labels, and the network/device schema, from the register.

Labels (``items`` what each says, ``sheets`` how it is printed): a device label carries the
device's code and name and a QR code pointing at its register entry; a cable gets one
label for **each of its two ends** ("pada 2 (dua) ujung kabel"), both with the cable's id
and the device codes of both ends.  They are printed as PDF (WeasyPrint, like
``sop_runner/documents``) on an A4 sheet of 65 labels (38.1 × 21.2 mm) or on 24 mm tape.

The schema (``schema``): Graphviz ``dot`` draws the register's rooms and racks as
clusters, its devices, its cables and its prefixes, as SVG and PDF; every version whose
content changed is kept beside the newest.  1.2 step 6 and 3.2 steps 2–4 produce them
(``hooks``: the step's note names the files); ``sop label print`` and ``sop label schema``
at any time.  Every file made has an audit entry with its SHA-256.
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("SOP 3.2 labels (devices, both ends of every cable) and the network/device schema.")

MANIFEST = Manifest(
    name="labels",
    commands={"label": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
