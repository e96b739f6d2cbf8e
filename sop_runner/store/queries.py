"""Small queries several documents share."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner.store.models import Run


def rows_of_run(session: Session, model: Any, run: Run | None, *order_by: Any) -> list[Any]:
    """Given a table with a run_id and a run (or None), return the run's rows in order."""
    if run is None:
        return []
    query = select(model).where(model.run_id == run.id).order_by(*order_by)
    return list(session.scalars(query).all())
