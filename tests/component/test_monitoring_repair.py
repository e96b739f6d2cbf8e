"""SOP 6.1 through the real `sop` command on ctl1 (issue 16): monitoring is requested
without repair parameters; the repair is a request of its own made after the problem
report (step 4), signed, approved by the penanggung jawab, and only then run."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.store.models import Run, StepRecord
from tests.support.sop import ok

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

PROBLEM = "disk /var/tmp penuh oleh log lama; rekomendasi: hapus file > 30 hari"


def _steps(env, request_id: str) -> dict[int, tuple[str, str]]:
    with env.ctx().session() as session:
        rows = session.scalars(
            select(StepRecord)
            .join(Run, Run.id == StepRecord.run_id)
            .where(Run.request_id == int(request_id))
            .order_by(StepRecord.id)
        ).all()
        return {r.step_number: (r.status, r.note) for r in rows}


def test_monitoring_needs_no_repair_parameters_and_the_repair_follows_it(sop_env, tmp_path):
    env = sop_env
    folder = tmp_path / "var-tmp"
    folder.mkdir()
    old, new = folder / "old.log", folder / "new.log"
    for path in (old, new):
        path.write_text("log\n")
    past = time.time() - 40 * 86400
    os.utime(old, (past, past))

    # A repair cannot follow a monitoring request that has no problem report yet.
    made = ok(env.sop("request", "6.1", "--target", "ctl1", "--reason", "monitoring berkala",
                      operator="budi"))  # fmt: skip
    monitoring = made.stdout.split()[1]
    early = env.sop(
        "request", "6.1", "--target", "ctl1", "--reason", "perbaikan",
        "--param", f"follows={monitoring}", "--param", f"cleanup_path={folder}",
        "--param", "max_age_days=30", operator="budi",
    )  # fmt: skip
    assert early.returncode == 2 and "belum mempunyai laporan masalah" in early.stderr, early.stderr

    # Monitoring runs without any approval: step 5 is not this request's.
    done = env.sop(
        "run", monitoring, "--confirm", "2=grafik dianalisis", "--confirm", "3=laporan berkala",
        "--confirm", f"4={PROBLEM}", "--confirm", "6=laporan dikirim", operator="budi",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    steps = _steps(env, monitoring)
    assert [steps[n][0] for n in range(1, 7)] == ["done"] * 4 + ["skipped", "done"]
    assert steps[5][1].startswith("tidak berlaku: tidak ada perbaikan")
    assert old.exists() and new.exists()
    written = ok(env.sop("report", monitoring)).stdout.split()
    report = Path(next(f for f in written if f.endswith(".md"))).read_text()
    assert "tidak berlaku" in report

    # The repair, requested after the analysis with its parameters, waits for its approval.
    made = ok(env.sop(
        "request", "6.1", "--target", "ctl1", "--reason", f"perbaikan: {PROBLEM}",
        "--param", f"follows={monitoring}", "--param", f"cleanup_path={folder}",
        "--param", "max_age_days=30", operator="budi",
    ))  # fmt: skip
    repair = made.stdout.split()[1]
    waiting = env.sop("run", repair, "--confirm", "6=laporan perbaikan", operator="budi")
    assert waiting.returncode == 3 and "penanggung_jawab" in waiting.stderr, waiting.stderr
    assert old.exists()
    ok(env.sop("approve", repair, operator="sari"))
    done = env.sop("run", repair, "--confirm", "6=laporan perbaikan", operator="budi")
    assert done.returncode == 0, done.stdout + done.stderr
    assert not old.exists() and new.exists()
    steps = _steps(env, repair)
    assert [steps[n][0] for n in range(1, 5)] == ["skipped"] * 4
    assert steps[1][1].startswith("tidak berlaku: dilakukan pada permintaan monitoring")
    assert [steps[n][0] for n in (5, 6)] == ["done", "done"]
