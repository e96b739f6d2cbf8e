"""A team store under load (PostgreSQL, as AWX's team would share it): N workers run
different requests at once while two race on the same one.  Every request's gated step
runs exactly once, the race has exactly one winner (the other is told "already running",
exit 75), and the audit chain, appended to by all of them at once, verifies afterwards."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.store.models import AuditEntry, StepRecord
from tests.component.test_single_use import ALREADY_RUNNING, _approved_request, _start_run
from tests.support.sop import ok

POSTGRES_ONLY = pytest.mark.parametrize("db_url", ["postgresql"], indirect=True)
WORKERS = 3


def _old_file(folder: Path) -> Path:
    folder.mkdir(parents=True)
    victim = folder / "old.log"
    victim.write_text("removed only by this request's repair\n")
    past = time.time() - 40 * 86400
    os.utime(victim, (past, past))
    return victim


@POSTGRES_ONLY
def test_workers_on_different_requests_and_a_race_on_one(sop_env, tmp_path):
    files = [_old_file(tmp_path / f"w{n}") for n in range(WORKERS + 1)]
    requests = [_approved_request(sop_env, victim) for victim in files]
    contested = requests[-1]
    operators = ["budi", "dewi"]
    started = time.monotonic()
    runs = [_start_run(request, operators[n % 2]) for n, request in enumerate(requests[:-1])]
    runs += [_start_run(contested, "budi"), _start_run(contested, "dewi")]
    results = [(run.wait(timeout=600), *run.communicate()) for run in runs]
    elapsed = time.monotonic() - started
    codes = [code for code, _, _ in results]
    assert codes[:WORKERS] == [0] * WORKERS, results[:WORKERS]
    assert sorted(codes[WORKERS:]) == [0, ALREADY_RUNNING], results[WORKERS:]
    assert not any(victim.exists() for victim in files)
    with sop_env.ctx().session() as session:
        done = session.scalars(
            select(StepRecord).where(StepRecord.step_number == 5, StepRecord.status == "done")
        ).all()
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry)).all()]
    by_run = sorted(record.run_id for record in done)
    assert len(by_run) == WORKERS + 1 == len(set(by_run))  # once per request, no more
    passed = [e for e in entries if e["action"] == "gate.passed" and e["data"]["step"] == 5]
    assert len(passed) == WORKERS + 1
    assert ok(sop_env.sop("audit", "verify"))
    print(f"{WORKERS + 2} concurrent runs in {elapsed:.1f} s, {len(entries)} audit entries")
