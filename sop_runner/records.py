"""Companion records written from what playbooks hand back (set_stats).

Each set_stats key a playbook may use has one writer, contributed by a feature
(``Feature.recorders``); the run loop hands the data to them through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from sop_runner.features import Recorder


def store_artifacts(
    session: Session, run_id: int, data: dict[str, Any], recorders: Mapping[str, Recorder]
) -> dict[str, int]:
    """Given a playbook's set_stats data and the writers, write the records; return counts."""
    return {
        key: recorders[key](session, run_id, value)
        for key, value in data.items()
        if key in recorders
    }
