"""Companion records written from what playbooks hand back (set_stats).

Each key a playbook may set has one writer here; a later procedure adds its
own writer to RECORDERS rather than touching the run loop.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.store.models import ResourceSample


def record_resource_samples(session: Session, run_id: int, samples: dict[str, Any]) -> int:
    """Given per-host samples from resource_monitor.yml, store them; return how many."""
    now = datetime.now(UTC)
    for host, sample in sorted(samples.items()):
        session.add(ResourceSample(run_id=run_id, host=host, taken_at=now, **sample))
    return len(samples)


RECORDERS: dict[str, Callable[[Session, int, Any], int]] = {
    "resource_samples": record_resource_samples,
}


def store_artifacts(session: Session, run_id: int, data: dict[str, Any]) -> dict[str, int]:
    """Given a playbook's set_stats data, write the records it carries; return counts by key."""
    return {
        key: RECORDERS[key](session, run_id, value)
        for key, value in data.items()
        if key in RECORDERS
    }
