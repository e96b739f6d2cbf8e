"""SOP 1.3 software installation: the software register (Daftar perangkat lunak Pusat Data)
and the environment analysis that decides whether an installation goes on or is postponed.

A request of 1.3 names a software spec beside the inventory (``software/NAME.yml``:
name, version, licence, owner OPD, whether the source code was handed over, what it
requires of the host and how it is installed; docs/software.md); ``sop request`` fixes
the spec's SHA-256 (``spec_digest``) so the approval covers exactly that spec.  Step 3
(``playbooks/software_environment.yml``) reads the host's real facts and decides the
branch: met → installed (step 6 through ``roles/software_package``, or step 5 by the
vendor remotely through an open 2.4 grant), unmet → step 4 and the run ends *ditunda*.
Step 7 (``playbooks/software_register.yml``) reads what is really installed and writes
the register.  Every change of the register has a history row and an audit entry; a
change made with `sop software` is signed by the person who makes it.

Modules: ``models`` (tables), ``spec`` (reading a spec), ``service`` (the register's
changes), ``recorders`` (the plays' answers written), ``params`` (the request's derived
digest and its checks), ``documents`` + ``words`` + ``templates/`` (the Daftar perangkat
lunak as a naskah dinas, the analysis in the report), ``cli`` (`sop software`),
``feature`` (loaded on use; only the manifest is read here).
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

HELP = N_("SOP 1.3 Daftar perangkat lunak (software register) and its history.")
_SERVICE = ("entries", "get_entry")
__all__ = ["FEATURE", "MANIFEST", *_SERVICE]

MANIFEST = Manifest(
    name="software",
    tables=f"{__name__}.models",
    commands={"software": Command(help=HELP, load=lambda: import_module(f"{__name__}.cli").cli)},
)

__getattr__ = lazy_exports(__name__, {"FEATURE": "feature", **dict.fromkeys(_SERVICE, "service")})
