"""A whole procedure (SOP 6.1) through `sop` and ansible-runner on real lab hosts:
events and step times are recorded, the gated repair really changes the host,
a stopped run resumes, and the report renders in both languages."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from sop_runner.procedures.monitoring.models import ResourceSample
from sop_runner.store.models import Run, RunnerEvent, StepRecord
from tests.support.sop import ok

pytestmark = pytest.mark.lab

CLEANUP = "/var/tmp/sop-demo"


@pytest.fixture
def old_and_new_files(lab):
    """On srv1, a folder holding one file 40 days old and one of today."""
    lab.ssh(
        "srv1",
        f"rm -rf {CLEANUP} && mkdir -p {CLEANUP} && "
        f"touch -d '40 days ago' {CLEANUP}/old.log && touch {CLEANUP}/new.log",
    )


@pytest.mark.usefixtures("old_and_new_files")
def test_run_on_lab_host_records_events_times_and_reports(lab_env, lab, lab_issuer, tmp_path):
    env = lab_env
    ok(
        env.sop(
            "request",
            "6.1",
            "--target",
            "srv1",
            "--param",
            f"cleanup_path={CLEANUP}",
            "--param",
            "max_age_days=30",
            "--reason",
            "disk srv1 hampir penuh",
            operator="budi",
        )
    )
    # srv1 carries critical services, but 6.1 names no Pimpinan (issue 16): the
    # penanggung jawab alone approves the repair.
    ok(env.sop("approve", "1", operator="sari"))
    waiting = env.sop("run", "1", operator="budi")  # no confirmations: stops at step 2
    assert waiting.returncode == 3 and "--confirm 2=" in waiting.stderr
    ok(
        env.sop(
            "run",
            "1",
            "--confirm",
            "2=beban normal",
            "--confirm",
            "3=terkirim",
            "--confirm",
            "4=tidak ada masalah",
            "--confirm",
            "6=laporan ke penanggung jawab",
            operator="budi",
        )
    )
    assert lab.ssh("srv1", f"test -e {CLEANUP}/old.log", check=False).returncode == 1
    assert lab.ssh("srv1", f"test -e {CLEANUP}/new.log", check=False).returncode == 0
    # The host's own sshd log names the request, run, step and operator behind each login
    # (the serials are this test's: the issuer's log says which it signed).
    sshd_log = lab.ssh("srv1", "cat /var/log/sop-lab-sshd.log").stdout
    issued = [e for e in lab_issuer.log_entries() if e["decision"] == "issued"]
    assert [e["key_id"] for e in issued] == [
        f"sop request 1 run 1 step {step} operator budi" for step in (1, 5)
    ]
    for entry in issued:
        assert entry["principals"] == ["srv1"]
        assert f"ID {entry['key_id']} (serial {entry['serial']})" in sshd_log
    with env.ctx().session() as session:
        run = session.scalars(select(Run)).one()
        assert run.status == "succeeded"
        records = session.scalars(select(StepRecord).order_by(StepRecord.id)).all()
        assert [r.step_number for r in records if r.status == "done"] == [1, 2, 3, 4, 5, 6]
        assert sum(1 for r in records if r.step_number == 1) == 1, "resume re-ran step 1"
        for record in records:
            assert record.ended_at >= record.started_at
            # A machine's step is timed; a person's step confirmed with --confirm alone has
            # no known time (shown "—"), never a made-up 0 (issue 16).
            if record.kind == "automated":
                assert record.duration_seconds >= 0
            elif record.kind == "human":
                assert record.duration_seconds is None
        automated = [r for r in records if r.kind == "automated"]
        assert {r.runner_ident for r in automated} == {"r1-s1-a1", "r1-s5-a1"}
        assert all(r.standard_max_seconds for r in automated)
        events = session.scalar(
            select(func.count())
            .select_from(RunnerEvent)
            .where(
                RunnerEvent.step_number == 5,
                RunnerEvent.host == "srv1",
                RunnerEvent.event == "runner_on_ok",
            )
        )
        assert events and events >= 3
        sample = session.scalars(select(ResourceSample)).one()
        assert sample.host == "srv1" and sample.memory_total_mb > 0 and sample.disk_total_mb > 0

    paths = {}
    for lang in ("id", "en"):
        result = ok(env.sop("report", "1", "--lang", lang, "--out", str(tmp_path)))
        paths[lang] = [line for line in result.stdout.split() if line.endswith(".md")]
    report_id = (tmp_path / "laporan-6.1-1-id.md").read_text()
    report_en = (tmp_path / "laporan-6.1-1-en.md").read_text()
    assert (
        "Laporan hasil monitoring dan perawatan" in report_id and "Tahap pelaksanaan" in report_id
    )
    assert "Steps" in report_en and "Approvals" in report_en
    for text in (report_id, report_en):
        # People appear by their registry full name (official documents, issue 17).
        assert "srv1" in text and f"{CLEANUP}/old.log" in text and "Sari" in text
    assert "<svg" in (tmp_path / "laporan-6.1-1-id.html").read_text()
    # 6.1's text has no circular step: none is drafted, critical host or not (issue 16).
    assert not list(tmp_path.glob("surat-edaran-*"))
    ok(env.sop("audit", "verify"))
