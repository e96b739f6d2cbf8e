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


Recorder = Callable[[Session, int, Any], int]

RECORDERS: dict[str, Recorder] = {
    "resource_samples": record_resource_samples,
}


def all_recorders() -> dict[str, Recorder]:
    """Return the core's writers and those of every procedure feature module."""
    from sop_runner.procedures import modules

    found = dict(RECORDERS)
    for module in modules():
        found.update(getattr(module, "RECORDERS", {}))
    return found


def store_artifacts(session: Session, run_id: int, data: dict[str, Any]) -> dict[str, int]:
    """Given a playbook's set_stats data, write the records it carries; return counts by key."""
    recorders = all_recorders()
    return {
        key: recorders[key](session, run_id, value)
        for key, value in data.items()
        if key in recorders
    }
