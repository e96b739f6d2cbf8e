"""Writers of what resource_monitor.yml hands back (set_stats) into the 6.1 table."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.procedures.monitoring.models import ResourceSample


def record_resource_samples(session: Session, run_id: int, samples: dict[str, Any]) -> int:
    """Given per-host samples from resource_monitor.yml, store them; return how many."""
    now = datetime.now(UTC)
    for host, sample in sorted(samples.items()):
        session.add(ResourceSample(run_id=run_id, host=host, taken_at=now, **sample))
    return len(samples)
