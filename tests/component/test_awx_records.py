"""Records from every entry point: the gated 6.1 repair run by a plain ansible-playbook
(as AWX runs it) leaves the same step record, companion records and audit entry as the
same step run by `sop run` (plugins/callback/sop_records.py → sop_runner/play_records.py).
The plays run on the controller's local hosts: the recording path is what is compared."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from sop_runner.store.models import AuditEntry, Run, RunnerEvent, StepRecord
from tests.component.test_awx_gate import _awx_extravars
from tests.component.test_gate_matrix import _playbook
from tests.component.test_single_use import CONFIRM, _approved_request
from tests.support.sop import ok

COMPARED = ("step_number", "kind", "status", "standard_max_seconds", "over_standard")


def _step5(env, request_id: str) -> tuple[StepRecord, Run]:  # type: ignore[no-untyped-def]
    with env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == int(request_id))).one()
        record = session.scalars(
            select(StepRecord).where(StepRecord.run_id == run.id, StepRecord.step_number == 5)
        ).one()
        session.expunge_all()
    return record, run


def _old(folder: Path) -> Path:
    import os
    import time

    folder.mkdir()
    victim = folder / "old.log"
    victim.write_text("old\n")
    past = time.time() - 40 * 86400
    os.utime(victim, (past, past))
    return victim


def test_a_plain_play_leaves_the_step_record_sop_run_leaves(sqlite_sop_env, tmp_path):
    env = sqlite_sop_env
    through_sop = _approved_request(env, _old(tmp_path / "a"))
    ok(env.sop("run", through_sop, *CONFIRM, operator="budi"))
    plain = _approved_request(env, _old(tmp_path / "b"))
    played = _playbook(env, "-l", "ctl1", "-e", _awx_extravars(tmp_path, int(plain)))
    assert played.returncode == 0, played.stdout

    mine, _ = _step5(env, through_sop)
    theirs, run = _step5(env, plain)
    assert [getattr(theirs, f) for f in COMPARED] == [getattr(mine, f) for f in COMPARED]
    assert theirs.duration_seconds is not None and theirs.duration_seconds > 0
    assert theirs.confirmed_by == run.operator
    for key in ("playbook", "rc", "status", "removed_files", "timing"):
        assert key in mine.data and key in theirs.data, key
    assert (theirs.data["rc"], theirs.data["status"]) == (0, "successful")
    assert theirs.data.get("records_written") == mine.data.get("records_written")
    assert set(theirs.data["stats"]) >= {"ok", "changed", "failures", "dark"}
    assert list(theirs.data["removed_files"]) == ["ctl1"]
    with env.ctx().session() as session:
        events = session.scalars(select(RunnerEvent).where(RunnerEvent.run_id == run.id)).all()
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry)).all()]
    assert any(e.event == "runner_on_ok" and e.host == "ctl1" for e in events)
    subjects = {e["subject"] for e in entries if e["action"] == "step.done"}
    assert f"run/{run.id}/step/5" in subjects
    # The plain play's run is in the audit trail (the gate's pass names it), so the trail
    # verifies with the run and its step records.
    assert ok(env.sop("audit", "verify"))
