"""Single use and one at a time, on both stores: two `sop run` of one request started
together, and a run's gated step against a request closed meanwhile.

The gated step is SOP 6.1's repair (resource_repair.yml deletes old files), run on
the controller (ansible_connection local); each run of it leaves a StepRecord and a
`gate.passed` audit entry, so "the gated step ran twice" is counted in the store.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.store.models import AuditEntry, StepRecord
from tests.support.sop import ok

ALREADY_RUNNING = 75  # EX_TEMPFAIL: another run holds the request; try again later
CONFIRM = [f"--confirm={n}=catatan {n}" for n in (2, 3, 4, 6)]


def _approved_request(env, old_file: Path) -> str:
    made = ok(
        env.sop(
            "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
            "--param", f"cleanup_path={old_file.parent}", "--param", "max_age_days=30",
            operator="budi",
        )
    )  # fmt: skip
    request_id = made.stdout.split()[1]
    ok(env.sop("approve", request_id, operator="sari"))
    return request_id


def _start_run(request_id: str, operator: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "sop_runner.cli", "run", request_id, *CONFIRM],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "SOP_OPERATOR": operator},
    )


def _gated_step_runs(env) -> tuple[int, int]:
    with env.ctx().session() as session:
        records = session.scalars(
            select(StepRecord).where(StepRecord.step_number == 5, StepRecord.status == "done")
        ).all()
        passes = [
            e
            for e in session.scalars(select(AuditEntry)).all()
            if json.loads(e.content)["action"] == "gate.passed"
            and json.loads(e.content)["data"].get("step") == 5
        ]
    return len(records), len(passes)


def test_two_concurrent_runs_one_runs_the_gated_step(sop_env, old_file):
    request_id = _approved_request(sop_env, old_file)
    runs = [_start_run(request_id, "budi"), _start_run(request_id, "dewi")]
    results = [(run.wait(timeout=300), *run.communicate()) for run in runs]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, ALREADY_RUNNING], results
    loser = next(err for code, _, err in results if code == ALREADY_RUNNING)
    assert f"permintaan {request_id}: sedang berjalan (run 1 by " in loser, loser
    assert " since " in loser and len(loser.strip().splitlines()) == 1
    assert _gated_step_runs(sop_env) == (1, 1)
    assert not old_file.exists()
    assert ok(sop_env.sop("audit", "verify"))


def test_a_request_cancelled_while_waiting_stops_its_run(sop_env, old_file):
    request_id = _approved_request(sop_env, old_file)
    ok(sop_env.sop("cancel", request_id, "--reason", "salah sasaran", operator="budi"))
    run = sop_env.sop("run", request_id, *CONFIRM, operator="dewi")
    assert run.returncode == 4 and f"permintaan {request_id} berstatus dibatalkan" in run.stderr
    assert _gated_step_runs(sop_env) == (0, 0)
    assert old_file.exists()
    status = ok(sop_env.sop("status", request_id))
    assert "dibatalkan" in status.stdout and "salah sasaran" in status.stdout
