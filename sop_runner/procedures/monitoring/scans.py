"""The writer of SOP 6.2 step 1's scan (network_monitor.yml): records, then incidents.

Each host's scan is kept (``NetworkScan``); what nothing explains opens an incident
(``incidents.open_incident``): a port listening on a host, a port the firewall
accepts, or a firewall ruleset whose digest changed since the last scan without a
`sop` run on that firewall in between.  The incidents are notified once the run's
records are committed (a notice is never sent for a record that was rolled back).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from sop_runner.procedures.monitoring import incidents, security
from sop_runner.procedures.monitoring.models import NetworkScan
from sop_runner.store.models import Request, Run

# What a host runs for `sop` itself: its management path and its exporter.
DEFAULT_ALLOWED = (22, 9100)


def _changed_by_sop(session: Session, host: str, since: datetime) -> bool:
    """Given a firewall and a time, return whether a `sop` run on it (other than a
    monitoring scan) started since then: its ruleset may have changed through `sop`."""
    runs = session.execute(
        select(Request.targets, Request.procedure_id)
        .join(Run, Run.request_id == Request.id)
        .where(Run.started_at > since)
    ).all()
    return any(host in (targets or []) and pid != "6.2" for targets, pid in runs)


def _grant_ports(session: Session, host: str, now: datetime) -> set[int]:
    from sop_runner.procedures.grants.api import open_grants_on

    return {
        int(g["port"])
        for g in open_grants_on(session, host)
        if datetime.fromisoformat(g["ends_at"]) > now
    }


def record_network_scan(session: Session, run_id: int, scans: dict[str, Any]) -> int:
    """Given per-host scans from network_monitor.yml, store them and open an incident for
    everything nothing explains; return how many scans were stored."""
    from sop_runner.context import Context

    ctx = Context()
    inventory = ctx.inventory
    services = [{"hosts": list(s.hosts), "port": s.port} for s in inventory.services]
    all_service_ports = {int(s["port"]) for s in services if s["port"]}
    run = session.get(Run, run_id)
    actor = run.operator if run else "sop"
    now = datetime.now(UTC)
    opened: list[dict[str, Any]] = []

    def found(kind: str, host: str, severity: str, summary: str, evidence: dict) -> None:
        row = incidents.open_incident(
            session, actor, kind, host, severity, summary, evidence, run_id
        )
        if row is not None:
            opened.append(incidents.as_dict(row))

    for host, scan in sorted(scans.items()):
        listening = security.listening_ports(scan.get("listening") or [])
        text = scan.get("ruleset") or ""
        ruleset = json.loads(text) if text else None
        accepted = security.accepted_ports(ruleset) if ruleset else []
        digest = security.ruleset_digest(ruleset) if ruleset else None
        allowed = set(inventory.host_vars(host).get("monitoring_allowed_ports", DEFAULT_ALLOWED))
        grants = _grant_ports(session, host, now)
        for proto, address, port in security.unexplained(
            host, listening, services, grants, allowed
        ):
            found(
                "port_unexplained", host, "critical",
                f"port {proto}/{port} terbuka ({address}) tanpa layanan terdaftar atau izin 2.4",
                {"protocol": proto, "address": address, "port": port, "allowed": sorted(allowed),
                 "grants": sorted(grants)},
            )  # fmt: skip
        for proto, port in accepted:
            if port not in all_service_ports | grants | allowed:
                found(
                    "firewall_accepts", host, "critical",
                    f"firewall menerima {proto}/{port} tanpa layanan terdaftar atau izin 2.4",
                    {"protocol": proto, "port": port},
                )  # fmt: skip
        if digest is not None:
            last = session.scalars(
                select(NetworkScan)
                .where(NetworkScan.host == host, NetworkScan.ruleset_sha256.is_not(None))
                .order_by(NetworkScan.id.desc())
            ).first()
            if (
                last is not None
                and last.ruleset_sha256 != digest
                and not _changed_by_sop(session, host, last.taken_at)
            ):
                found(
                    "ruleset_changed", host, "critical",
                    "aturan firewall berubah di luar sop",
                    {"before": last.ruleset_sha256, "after": digest},
                )  # fmt: skip
        session.add(
            NetworkScan(
                run_id=run_id,
                host=host,
                taken_at=now,
                listening=[list(x) for x in listening],
                accepted=[list(x) for x in accepted],
                ruleset_sha256=digest,
            )
        )
    if opened:
        # After the commit: the notifier writes its own audit entry in its own transaction.
        event.listen(session, "after_commit", lambda _s: incidents.notify(ctx, opened), once=True)
    return len(scans)
