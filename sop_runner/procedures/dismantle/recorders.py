"""Writers of what the SOP 5.1 playbooks hand back (set_stats, keyed by host).

- ``dismantle_feasibility`` (step 1, dismantle_feasibility.yml): mounts, disks,
  interfaces and the services the inventory's catalog puts on the host;
- ``disk_wipes`` (step 4, dismantle_wipe.yml): the disk_wipe module's results;
- ``dismantle_shutdown`` (step 5, dismantle_shutdown.yml): how the device was marked off;
- ``dismantle_register`` (step 6, dismantle_register.yml): the register's final status.

Each moves the device along the register (active → decommissioning → offline
→ disposed), history kept.  Open grants and sole backup copies come from the
grants and backup features' functions, never their tables.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.features import Recorder
from sop_runner.procedures import register
from sop_runner.procedures.backup.api import sole_copies_on
from sop_runner.procedures.dismantle.models import DiskWipe, DismantleFeasibility
from sop_runner.procedures.dismantle.policy import device_summary, feasibility_findings, wipe_note
from sop_runner.procedures.grants.api import open_grants_on
from sop_runner.store.models import Run


def _operator(session: Session, run_id: int) -> str:
    run = session.get(Run, run_id)
    return run.operator if run else "ansible"


def record_feasibility(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given facts per host from dismantle_feasibility.yml, store the analysis; return count.

    The play hands each host's services from the inventory's service catalog
    with its facts, so the analysis needs nothing here but the store.
    """
    for host, facts in sorted(per_host.items()):
        findings, blockers = feasibility_findings(
            host,
            facts,
            list(facts.get("services") or []),
            open_grants_on(session, host),
            sole_copies_on(session, host),
            device_summary(register.get_device(session, host)),
        )
        session.add(
            DismantleFeasibility(
                run_id=run_id,
                host=host,
                analysed_at=datetime.now(UTC),
                findings=findings,
                blockers=blockers,
            )
        )
    return len(per_host)


def record_wipes(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given disk_wipe results per host, store each wipe and mark the host decommissioning.

    A failed wipe is stored too (not verified, with its log): it was written to.
    """
    operator = _operator(session, run_id)
    count = 0
    for host, results in sorted(per_host.items()):
        for result in results:
            verification = result.get("verification") or {}
            session.add(
                DiskWipe(
                    run_id=run_id,
                    host=host,
                    device=result["device"],
                    size_bytes=int(result["size_bytes"]),
                    bytes_written=int(result.get("bytes_written", 0)),
                    seconds=float(result.get("seconds", 0.0)),
                    throughput_mib_s=float(result.get("throughput_mib_s", 0.0)),
                    method_type=result["method_used"]["type"],
                    technique=result["method_used"]["technique"],
                    tool=result["tool"],
                    media=result.get("media") or {},
                    verification=verification,
                    verified=bool(verification.get("passed")),
                    log_text=result.get("log", ""),
                    log_sha256=result.get("log_sha256", ""),
                    wiped_at=datetime.now(UTC),
                )
            )
            count += 1
        register.advance_to(session, host, "decommissioning", operator, wipe_note(results), run_id)
    return count


def record_shutdown(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given how each host was marked off, move it to offline in the register."""
    operator = _operator(session, run_id)
    for host, info in sorted(per_host.items()):
        note = f"shut down ({info.get('mode', 'mark')}): {info.get('note', '')}".strip()
        register.advance_to(session, host, "offline", operator, note, run_id)
    return len(per_host)


def record_register(session: Session, run_id: int, per_host: dict[str, Any]) -> int:
    """Given the final status per host, take it out of the active register (history kept)."""
    operator = _operator(session, run_id)
    for host, info in sorted(per_host.items()):
        note = f"removed from the register; destination: {info.get('destination', '')}"
        register.advance_to(session, host, "disposed", operator, note, run_id)
    return len(per_host)


RECORDERS: dict[str, Recorder] = {
    "dismantle_feasibility": record_feasibility,
    "disk_wipes": record_wipes,
    "dismantle_shutdown": record_shutdown,
    "dismantle_register": record_register,
}
