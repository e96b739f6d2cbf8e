"""SOP 2.4 remote access: time-limited port grants on the firewall, and the remote account log.

A petugas agrees a time and a duration with a remote user (pengguna), then
``sop grant open`` checks the wish against the rules of the document (never
ports 21, 53, 80, 443, 3306; a duration above zero and at most the maximum;
a target of the inventory), records the grant, makes a request of procedure
2.4 and runs its step 2 (``playbooks/remote_access_grant.yml``), which puts the
grant on the firewall with an absolute end.  The firewall (nftables set element
timeout, or a RouterOS address-list timeout) closes the port at that end by
itself.  ``extend``, ``revoke``, ``list``, ``reconcile`` and ``report`` complete
the procedure; every change is in the audit trail and in the remote account log.

Modules: ``models`` (tables), ``policy`` (rules, durations, the target),
``ledger`` (the one writer of the records), ``recorders`` (the firewall's answer
applied), ``service`` and ``reconcile`` (the actions), ``accounts`` (a remote user's
certificate, its revocation and its sessions on the target), ``documents`` and
``words`` (the remote account log), ``cli`` (`sop grant`), ``api`` (for other
features), ``feature`` (what it plugs into the core, loaded on use; only the manifest
is imported here).
"""

from __future__ import annotations

from importlib import import_module

from sop_runner.features import Command, Manifest, lazy_exports
from sop_runner.i18n import N_

MANIFEST = Manifest(
    name="grants",
    tables=f"{__name__}.models",
    commands={
        "grant": Command(
            help=N_("SOP 2.4 remote access: time-limited port grants on the firewall."),
            # Loaded only when `sop grant` runs.
            load=lambda: import_module(f"{__name__}.cli").cli,
        )
    },
)

# FEATURE (its tables, recorders, …) is imported on first use; a `sop` start reads
# MANIFEST alone (sop_runner/features.py).
__getattr__ = lazy_exports(__name__, {"FEATURE": "feature"})
