"""Writers of what the SOP 1.3 playbooks hand back (set_stats, keyed by host).

- ``software_env`` (step 3): the environment analysis of each host;
- ``software_installed`` (step 7): what is really installed, into the register.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner import audit
from sop_runner.procedures.software import service
from sop_runner.procedures.software.models import SoftwareAnalysis
from sop_runner.store.models import Run


def write_analysis(session: Session, run_id: int, value: dict[str, Any]) -> int:
    """Given {host: {software, met, results, facts}}, store each host's analysis."""
    now = datetime.now(UTC)
    for host, data in sorted(value.items()):
        session.add(
            SoftwareAnalysis(
                run_id=run_id,
                host=host,
                software=str(data.get("software", "")),
                met=bool(data.get("met")),
                results=list(data.get("results") or []),
                facts=dict(data.get("facts") or {}),
                recorded_at=now,
            )
        )
    return len(value)


def write_installed(session: Session, run_id: int, value: dict[str, Any]) -> int:
    """Given {host: {name, version, owner, licence, source_code_handed_over, vendor_remote}},
    write each into the register in the name of the run's operator."""
    run = session.get(Run, run_id)
    assert run is not None
    operator = run.operator

    def sign(session: Session, action: str, subject: str, data: dict[str, Any]) -> Any:
        return audit.append(session, operator, action, subject, {**data, "run": run_id})

    for host, data in sorted(value.items()):
        service.record_installed(
            session,
            {
                "name": str(data["name"]),
                "version": str(data["version"]),
                "host": host,
                "owner": str(data.get("owner", "")),
                "licence": str(data.get("licence", "")),
                "source_code_handed_over": bool(data.get("source_code_handed_over")),
                "vendor_remote": bool(data.get("vendor_remote")),
                "request_id": run.request_id,
            },
            operator,
            sign,
            run_id,
        )
    return len(value)


RECORDERS = {"software_env": write_analysis, "software_installed": write_installed}
