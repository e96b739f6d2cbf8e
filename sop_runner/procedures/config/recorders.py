"""The writer of what config_apply.yml hands back (set_stats ``config_changes``).

config_apply.yml (step 4, with its test) hands back ``config_changes`` for each
device whose change passed its test, even when another device of the run failed;
each changed device becomes a configuration-log entry (date-time, device,
substance = the diff, notes) and a documentation record (purpose, existing state
= the configuration before, steps, result).  ``config_rollbacks`` names the devices
whose change failed its test and was rolled back: documented, never logged.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.procedures.config.diffs import change_diff
from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.store.models import Request, Run


def record_config_changes(session: Session, run_id: int, changes: dict[str, Any]) -> int:
    """Given config_apply.yml's passed changes, write log entries; return how many.

    Changes are keyed by host, or by host/role when one host has several (then
    the entry's ``device`` names the host); each changed one gets its own entry.
    A configuration that did not change gets no entry (a second run of the same
    desired configuration logs nothing).
    """
    run = session.get(Run, run_id)
    request = session.get(Request, run.request_id) if run else None
    purpose = request.reason if request else ""
    ref = (request.params or {}).get("config_ref", "") if request else ""
    now = datetime.now(UTC)
    written = 0
    for key, change in sorted((changes or {}).items()):
        if not isinstance(change, dict) or not change.get("changed"):
            continue
        device = str(change.get("device", key))
        diff = change_diff(device, change)
        tests = change.get("tests") or {}
        notes = (
            f"SOP 3.1 request #{request.id if request else '?'}"
            + (f", config_ref {ref}" if ref else "")
            + f"; {change.get('kind', 'device')}; test passed ({audit.canonical(tests)})"
        )
        entry = ConfigLogEntry(
            run_id=run_id, logged_at=now, device=device, substance=diff, notes=notes
        )
        session.add(entry)
        session.flush()
        session.add(
            ConfigDocument(
                run_id=run_id,
                log_id=entry.id,
                created_at=now,
                device=device,
                kind=str(change.get("kind", "device")),
                purpose=purpose,
                existing_state=str(change.get("before") or ""),
                steps=list(change.get("steps") or []),
                result={"status": "passed", "tests": tests, "commands": change.get("commands")},
                diff=diff,
            )
        )
        audit.append(
            session,
            "ansible",
            "config.logged",
            f"config_log/{entry.id}",
            {"run": run_id, "device": device, "lines": len(diff.splitlines())},
        )
        written += 1
    return written


def record_config_rollbacks(session: Session, run_id: int, rollbacks: dict[str, Any]) -> int:
    """Given config_apply.yml's cancelled changes, document each as rolled back; return how many.

    A change that failed its test is cancelled and rolled back on its device
    (SOP 3.1 step 5): it gets no configuration-log entry, only a documentation
    record saying so (result ``rolled_back``, why, whether the rollback was verified),
    so the report names which devices of a run passed and which were rolled back.
    """
    run = session.get(Run, run_id)
    request = session.get(Request, run.request_id) if run else None
    now = datetime.now(UTC)
    written = 0
    for key, change in sorted((rollbacks or {}).items()):
        if not isinstance(change, dict):
            continue
        device = str(change.get("device", key))
        verified = change.get("verified") or {}
        session.add(
            ConfigDocument(
                run_id=run_id,
                log_id=None,
                created_at=now,
                device=device,
                kind=str(change.get("kind", "device")),
                purpose=request.reason if request else "",
                existing_state="",
                steps=["change applied", "post-change test failed", "rolled back"],
                result={
                    "status": "rolled_back",
                    "error": str(change.get("error", "")),
                    "verified": verified,
                    "files": list(change.get("files") or []),
                },
                diff="",
            )
        )
        audit.append(
            session,
            "ansible",
            "config.rolled_back",
            f"run/{run_id}",
            {"device": device, "key": key, "verified": verified},
        )
        written += 1
    return written
