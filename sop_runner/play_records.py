"""Records of a gated play run outside `sop run` (plain ansible-playbook, AWX).

The callback plugin plugins/callback/sop_records.py hands over what the play did: the
gate's summary (request, procedure, step, and the run the gate claimed), the events and
the play's end (stats, set_stats data).  This writes them as `sop run` writes its own
automated step: the step record with its times against the Mutu Baku, the features'
companion records from set_stats, the runner events and the ``step.done`` /
``step.failed`` audit entry — one writer for both paths (execution._finish_step).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sop_runner.answers import Timing
from sop_runner.context import Context
from sop_runner.store.models import Run, RunnerEvent, StepRecord


@dataclass(frozen=True)
class _Automaton:
    """Who an automated step is recorded under: the operator the gate claimed the run for."""

    name: str


def record_play(
    ctx: Context,
    gate: dict[str, Any],
    playbook: str,
    started: datetime,
    ended: datetime,
    stats: dict[str, dict[str, int]],
    data: dict[str, Any],
    events: list[dict[str, Any]],
) -> StepRecord | None:
    """Given the gate's summary of a play that ran outside `sop run` and what the play did,
    write its step record, companion records, events and audit entry; return the record.

    Return None (nothing written) when the gate claimed no run (a check run, a step that
    only reads), or the run is not one a plain play claimed.
    """
    from sop_runner.execution import _finish_step

    run_id = gate.get("run")
    if run_id is None:
        return None
    with ctx.session() as session:
        run = session.get(Run, int(run_id))
        if run is None or run.status != "outside":
            return None
        session.expunge(run)
    step = ctx.catalog.get(str(gate["procedure"])).step(int(gate["step"]))
    failed = bool(stats.get("failures")) or bool(stats.get("dark"))
    result = {
        "playbook": playbook,
        "rc": (4 if stats.get("dark") else 2) if failed else 0,
        "status": "failed" if failed else "successful",
        "stats": stats,
        **data,
    }
    with ctx.session() as session:
        session.add_all(
            RunnerEvent(run_id=run.id, step_number=step.number, **event) for event in events
        )
    note = f"step {step.number} ({playbook}) failed" if failed else ""
    return _finish_step(
        ctx,
        run,
        step,
        started,
        "failed" if failed else "done",
        _Automaton(run.operator),  # type: ignore[arg-type]
        note,
        result,
        None,
        Timing(started, ended, "measured"),
    )
