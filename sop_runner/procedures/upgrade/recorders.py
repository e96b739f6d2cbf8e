"""Writers of what the SOP 4.1/4.2 playbooks hand back (set_stats, keyed by host).

- ``upgrade_analysis`` (4.2 step 2): facts, requirement results, verdict, baseline test;
- ``upgrade_backups`` (4.2 step 7): the checked pre-upgrade snapshot;
- ``upgrade_packages`` (4.2 step 8): package versions before/after;
- ``upgrade_tests`` (4.2 step 9): testinfra checks and response times;
- ``upgrade_recovery`` (4.2 step 9, when the test failed): rollback and its verification;
- ``hw_spec_before`` / ``hw_spec_after`` / ``hw_register`` (4.1 steps 2, 6, 8).

A step that fails (the analysis that postpones, the test that fails) still has
its records written: the core runs recorders for failed steps too.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.procedures import register
from sop_runner.procedures.upgrade.models import UpgradePackageChange, UpgradeRecord
from sop_runner.procedures.upgrade.verdicts import record_ok
from sop_runner.store.models import Run

KINDS = (
    "upgrade_analysis",
    "upgrade_backups",
    "upgrade_packages",
    "upgrade_tests",
    "upgrade_recovery",
    "hw_spec_before",
    "hw_spec_after",
    "hw_register",
)


def _write(session: Session, run_id: int, kind: str, value: dict[str, Any]) -> int:
    now = datetime.now(UTC)
    for host, data in sorted(value.items()):
        session.add(
            UpgradeRecord(
                run_id=run_id,
                step_record_id=None,
                host=host,
                kind=kind,
                recorded_at=now,
                ok=record_ok(kind, data),
                data=data,
            )
        )
        if kind == "upgrade_packages":
            for change in data.get("changed_packages", []) or []:
                session.add(
                    UpgradePackageChange(
                        run_id=run_id,
                        host=host,
                        package=change["name"],
                        version_before=change.get("from", ""),
                        version_after=change.get("to", ""),
                    )
                )
        if kind == "hw_register":
            _register_specs(session, run_id, host, data)
    return len(value)


def _register_specs(session: Session, run_id: int, host: str, data: dict[str, Any]) -> None:
    """Given a 4.1 run's final record of a host, put its specifications before and after
    into the register's specification history (registering the device if need be)."""
    before = _latest(session, run_id, host, "hw_spec_before")
    note = str(data.get("change", ""))
    run = session.get(Run, run_id)
    actor = run.operator if run is not None else "sop"
    if register.get_device(session, host) is None:
        register.add_device(session, host, actor, notes="registered at a hardware upgrade (4.1)")
    if before is not None:
        register.record_spec(
            session, host, before.data.get("spec", {}), actor, "before", note, run_id
        )
    register.record_spec(session, host, data.get("spec", {}), actor, "after", note, run_id)


def _latest(session: Session, run_id: int, host: str, kind: str) -> UpgradeRecord | None:
    return session.scalars(
        select(UpgradeRecord)
        .where(
            UpgradeRecord.run_id == run_id, UpgradeRecord.host == host, UpgradeRecord.kind == kind
        )
        .order_by(UpgradeRecord.id.desc())
    ).first()


def _recorder(kind: str) -> Callable[[Session, int, dict[str, Any]], int]:
    def write(session: Session, run_id: int, value: dict[str, Any]) -> int:
        return _write(session, run_id, kind, value)

    write.__doc__ = f"Given {kind} data keyed by host, store it; return how many hosts."
    return write


RECORDERS = {kind: _recorder(kind) for kind in KINDS}
