"""A request and a run of it in the store, for tests of what a run's recorders write."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.store.models import Request, Run


def request_and_run(
    session: Session,
    procedure_id: str,
    targets: list[str],
    params: dict[str, Any],
    reason: str,
    operator: str = "budi",
    status: str = "running",
) -> Run:
    """Given a procedure, targets, parameters and a reason, add a request and a run of it.

    Return the run (flushed: its id and its request's id are set).
    """
    request = Request(
        procedure_id=procedure_id,
        targets=targets,
        params=params,
        reason=reason,
        requested_by=operator,
        created_at=datetime.now(UTC).isoformat(),
    )
    session.add(request)
    session.flush()
    run = Run(request_id=request.id, operator=operator, status=status, started_at=datetime.now(UTC))
    session.add(run)
    session.flush()
    return run
