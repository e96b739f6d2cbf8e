"""SOP 2.1–2.3 physical access: the Buku Log akses Pusat Data, who is inside, the door's record.

A petugas at the door records every visit in the one store: the check-in of a
vendor, a petugas or a guest (tamu) with the purpose, the rooms, the
authorisation the document asks for (a vendor's prior coordination or the
penanggung jawab's signed permission; a guest's signed permission, always), the
escort, the identity document deposited (type, last four characters and a
salted hash: never the number, UU 27/2022) and the rules acknowledged; then the
check-out (ID and gadgets returned, door locked and checked).  Each is a signed
action of the person who records it, with its audit entry.  ``sop access
inside`` and ``overdue`` hold the visits against the Mutu Baku (vendor 8 Jam,
petugas 3 Jam, tamu 10 Menit, extendable with a signed reason); ``door import``
reads the door terminal's own record and ``reconcile`` finds what the two
disagree on; the monthly log book, a person's history and the anomalies are
official documents; old entries are anonymised through a gated retention.

Modules: ``models`` (tables), ``policy`` (pure rules: kinds, Mutu Baku, rules per
kind, identity documents, the clock), ``book`` (check-in, check-out, permission,
extension, who is inside), ``door`` (the terminal's files) and ``reconcile``,
``retention``, ``documents`` + ``words`` + ``templates/``, ``cli`` (`sop access`),
``feature`` (loaded on use; only the manifest is imported here).
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports

HELP = "SOP 2.1–2.3 physical access: the access log book, who is inside, the door's record."

MANIFEST = Manifest(
    name="access",
    tables=f"{__name__}.models",
    commands={"access": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
