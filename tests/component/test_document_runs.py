"""Runs that follow the document (issue 16): a branch taken with a signed reason, the
steps it rules out "tidak berlaku", a postponement that ends the run "ditunda" with
its report, a step of the penanggung jawab that a petugas cannot confirm, a vendor's
step named by the escorting petugas, and human-step times measured or given."""

from __future__ import annotations

import os
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.answers import Answers
from sop_runner.errors import SopError
from sop_runner.execution import RunUI, run_request
from sop_runner.requests import new_request
from sop_runner.store.models import AuditEntry, Request, Run, StepRecord
from tests.support.sop import ok, run_sop


def _approved(env, procedure: str, targets: list[str], params: dict | None = None) -> int:
    ctx = env.ctx()
    request = new_request(ctx, procedure, targets, params or {}, "uji", "budi")
    ok(env.sop("approve", str(request.id), operator="sari"))
    return request.id


def _records(env, request_id: int) -> dict[int, StepRecord]:
    with env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == request_id)).one()
        rows = session.scalars(select(StepRecord).where(StepRecord.run_id == run.id)).all()
        session.expunge_all()
    return {r.step_number: r for r in rows}


def test_a_1_2_run_postponed_at_step_3_ends_ditunda_with_its_report(sop_env, tmp_path: Path):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    result = sop_env.sop(
        "run",
        str(request_id),
        "--choose",
        "2=tidak_tersedia",
        "--confirm",
        "2=rack penuh, tidak ada slot 2U",
        "--confirm",
        "3=laporan ke penanggung jawab",
        operator="budi",
    )
    ok(result)
    assert "ditunda" in result.stdout  # the run ends "postponed", said in Indonesian
    records = _records(sop_env, request_id)
    assert records[2].status == "done" and records[2].data["choice"] == "tidak_tersedia"
    assert records[2].signed, "the branch's reason is signed"
    assert records[3].status == "done"
    for number in (4, 5, 6, 7):
        assert records[number].status == "not_applicable", number
        assert records[number].duration_seconds is None
    with sop_env.ctx().session() as session:
        request = session.get(Request, request_id)
        run = session.scalars(select(Run).where(Run.request_id == request_id)).one()
        assert request.status == "postponed" and run.status == "postponed"
        actions = [e.content for e in session.scalars(select(AuditEntry))]
    assert any('"run.postponed"' in a for a in actions)
    # A postponed request does not run again.
    again = sop_env.sop("run", str(request_id), operator="budi")
    assert again.returncode != 0 and "berstatus ditunda" in again.stderr, again.stderr
    ok(sop_env.sop("report", str(request_id), "--out", str(tmp_path)))
    report = (tmp_path / f"laporan-1.2-{request_id}-id.md").read_text()
    assert "ditunda" in report and "tidak berlaku" in report
    postponement = (tmp_path / f"laporan-penundaan-1.2-{request_id}-id.md").read_text()
    assert "Penanggung jawab" in postponement and "rack penuh" in postponement
    # Two documents, two numbers (the postponement once took the report's nomor).
    numbers = [re.search(r"Nomor\W+(\S+/\d{4})", text) for text in (report, postponement)]
    assert all(numbers) and numbers[0][1] != numbers[1][1], numbers  # type: ignore[index]
    row4 = next(line for line in report.splitlines() if line.startswith("| 4 |"))
    assert "tidak berlaku" in row4 and "selesai" not in row4
    # Every record, "tidak berlaku" too, is in the signed trail.
    ok(sop_env.sop("audit", "verify"))


def test_the_other_branch_runs_on_and_rules_out_the_postponement(sop_env):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    notes = {n: f"catatan {n}" for n in (2, 4, 5, 6, 7)}
    outcome = run_request(
        sop_env.ctx(), request_id, "budi", answers=Answers(notes=notes, choices={2: "tersedia"})
    )
    assert outcome.status == "succeeded"
    records = _records(sop_env, request_id)
    assert records[3].status == "not_applicable"
    assert [records[n].status for n in (4, 5, 6, 7)] == ["done"] * 4


def test_a_branch_needs_its_choice(sop_env):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    with pytest.raises(SopError, match=r"--choose 2=KEY \(yang boleh: tersedia, tidak_tersedia\)"):
        run_request(sop_env.ctx(), request_id, "budi", {2: "sudah dicek"})
    with pytest.raises(SopError, match="--choose 2: 'mungkin' tidak diperbolehkan"):
        run_request(
            sop_env.ctx(),
            request_id,
            "budi",
            answers=Answers(notes={2: "x"}, choices={2: "mungkin"}),
        )


def test_a_step_of_the_penanggung_jawab_confirmed_by_a_petugas_is_refused(sop_env):
    # 1.4 step 3: the penanggung jawab reports the plan to the Pimpinan.
    ctx = sop_env.ctx()
    request = new_request(ctx, "1.4", ["server-farm"], {}, "UPS baru", "budi")
    notes = {1: "koordinasi", 2: "laporan", 3: "dilaporkan"}
    with pytest.raises(SopError, match="adalah tugas penanggung_jawab; budi"):
        run_request(sop_env.ctx(), request.id, "budi", notes)
    records = _records(sop_env, request.id)
    assert 3 not in records, "a petugas confirmed the penanggung jawab's step"
    with pytest.raises(SopError, match="adalah tugas pimpinan"):
        run_request(sop_env.ctx(), request.id, "sari", notes)
    assert _records(sop_env, request.id)[3].confirmed_by == "sari"


def test_a_vendor_step_is_confirmed_by_the_petugas_naming_the_person(sop_env):
    # A vendor who coordinated beforehand needs no permission (2.1 step 2): no gate.
    request_id = new_request(
        sop_env.ctx(), "2.1", ["server-farm"], {"coordinated": True}, "servis AC", "budi"
    ).id
    notes = {n: f"catatan {n}" for n in range(2, 9)}
    with pytest.raises(SopError, match=r"--person 2=NAME"):
        run_request(sop_env.ctx(), request_id, "budi", notes)
    outcome = run_request(
        sop_env.ctx(), request_id, "budi", answers=Answers(notes=notes, person="Andi (PT Contoh)")
    )
    assert outcome.status == "succeeded"
    records = _records(sop_env, request_id)
    # A coordinated vendor needs no permission: step 1 does not apply, not "done".
    assert records[1].status == "not_applicable"
    assert all(records[n].data["person"] == "Andi (PT Contoh)" for n in range(2, 9))
    assert all(records[n].confirmed_by == "budi" for n in range(2, 9))


def test_human_step_times_are_measured_given_or_unknown_never_zero(sop_env, tmp_path: Path):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    start = datetime.now(UTC) - timedelta(hours=2)
    end = start + timedelta(minutes=50)
    window = f"{start.isoformat(timespec='minutes')}/{end.isoformat(timespec='minutes')}"
    notes = {n: f"catatan {n}" for n in (2, 4, 5, 6, 7)}
    answers = Answers(notes=notes, choices={2: "tersedia"}, times={2: window, 5: "45m", 6: "20m"})
    run_request(sop_env.ctx(), request_id, "budi", answers=answers)
    records = _records(sop_env, request_id)
    # Step 2: given START/END, 50 minutes against the standard of 10: over.
    assert records[2].duration_seconds == 50 * 60 and records[2].over_standard
    assert records[2].data["timing"] == "given"
    # Step 5: 45 minutes against 60: within.  Step 6: 20 against 5: over.
    assert records[5].duration_seconds == 45 * 60 and not records[5].over_standard
    assert records[6].over_standard
    # Step 4 was confirmed with --confirm alone: its time is not known, not 0.
    assert records[4].duration_seconds is None and records[4].data["timing"] == "unknown"
    ok(sop_env.sop("report", str(request_id), "--out", str(tmp_path)))
    report = (tmp_path / f"laporan-1.2-{request_id}-id.md").read_text()
    row4 = next(line for line in report.splitlines() if line.startswith("| 4 |"))
    assert "—" in row4 and "0 detik" not in row4
    row2 = next(line for line in report.splitlines() if line.startswith("| 2 |"))
    assert "50 menit" in row2 and "melebihi mutu baku" in row2
    assert "0 detik" not in report


def test_time_given_badly_is_one_line_exit_2(sop_env):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    result = sop_env.sop(
        "run",
        str(request_id),
        "--choose",
        "2=tersedia",
        "--confirm",
        "2=ok",
        "--time",
        "2=kemarin",
        operator="budi",
    )
    assert result.returncode == 2
    assert "--time 2: 'kemarin' bukan durasi" in result.stderr
    assert "Traceback" not in result.stderr
    # Refused before anything is written: no run was started.
    with sop_env.ctx().session() as session:
        assert session.scalars(select(Run)).all() == []
    branchless = sop_env.sop("run", str(request_id), "--choose", "5=ya", operator="budi")
    assert branchless.returncode == 2
    assert (
        "--choose 5: 'ya' tidak diperbolehkan; yang boleh: tidak ada (langkah ini bukan cabang)"
        in branchless.stderr
    )


def _impact_out(env, request_id: int, tmp_path: Path) -> list[Path]:
    ok(env.sop("report", str(request_id), "--out", str(tmp_path)))
    return sorted(tmp_path.glob("surat-edaran-*.md"))


@pytest.mark.parametrize(
    ("procedure", "targets", "params"),
    [
        ("7.1", ["ctl2"], {"paths": ["/srv"], "repository": "/var/backups/restic"}),
        ("6.4", ["server-farm"], {}),
        ("2.1", ["server-farm"], {}),
        ("2.3", ["server-farm"], {}),
    ],
)
def test_no_circular_for_a_backup_a_temperature_reading_or_a_visit(
    sop_env, tmp_path: Path, procedure, targets, params
):
    request = new_request(sop_env.ctx(), procedure, targets, params, "rutin", "budi")
    assert (request.impact or {}).get("circular") is False
    assert "pimpinan" not in {g["role"] for g in request.impact["gates"] if g["required"]}
    assert _impact_out(sop_env, request.id, tmp_path) == []


def test_a_visit_on_an_inventory_host_is_refused(sop_env):
    with pytest.raises(SopError, match=r"'ctl2' bukan tempat di lokasi ini; .*server-farm"):
        new_request(sop_env.ctx(), "2.1", ["ctl2"], {}, "servis", "budi")


def test_4_2_on_a_critical_host_drafts_a_circular_with_the_window(sop_env, tmp_path: Path):
    # 4.1 takes the window only when its circular is drafted: then it is required.
    spec = {"change": "RAM", "expected_spec": ["memory_mb >= 1"]}
    with pytest.raises(
        SopError, match="--param maintenance_window: wajib: pekerjaan ini mengenai simpeg"
    ):
        new_request(sop_env.ctx(), "4.1", ["ctl2"], spec, "RAM", "budi")
    assert (
        new_request(sop_env.ctx(), "4.1", ["ctl1"], spec, "RAM", "budi").impact["circular"] is False
    )
    params = {"repository": "/var/backups/restic"}
    window = "2026-12-05T22:00+07:00/2026-12-06T02:00+07:00"
    request = new_request(
        sop_env.ctx(), "4.2", ["ctl2"], {**params, "maintenance_window": window}, "x", "budi"
    )
    assert request.impact["circular"] is True
    (circular,) = _impact_out(sop_env, request.id, tmp_path)
    text = circular.read_text()
    assert window in text and "SIMPEG" in text
    # The outage is step 8 alone (the upgrade, 3 hours), not the sum of all steps.
    assert "3 jam" in text and "Melakukan peningkatan sistem operasi" in text
    assert "hari" not in text.split("Perkiraan gangguan")[1]
    shown = ok(sop_env.sop("impact", str(request.id))).stdout
    assert window in shown and "3 jam" in shown and "surat-edaran-4.2" in shown


def test_show_errata_and_work_order_carry_prasyarat_and_keterangan(sop_env, tmp_path: Path):
    env = {**os.environ, "COLUMNS": "250"}
    shown = ok(run_sop("show", "2.1", env=env)).stdout
    assert "Prasyarat" in shown and "Keterangan" in shown
    assert "Surat tugas" in shown and "Dapat diperpanjang" in shown
    errata = ok(run_sop("errata", env=env)).stdout
    assert "tabel 7.5 tidak ada" in errata and "bergeser satu kolom" in errata
    assert "tabel 7.4" not in errata.replace("dengan tabel 7.4", "")
    request = new_request(sop_env.ctx(), "2.1", ["server-farm"], {}, "servis UPS", "budi")
    ok(sop_env.sop("report", str(request.id), "--out", str(tmp_path)))
    order = (tmp_path / f"surat-perintah-tugas-2.1-{request.id}-id.md").read_text()
    assert "Prasyarat/kelengkapan" in order and "Keterangan" in order
    assert "Surat tugas" in order and "Dapat diperpanjang jika diperlukan" in order


class _PersonAtTheTerminal(RunUI):
    """Answers every prompt after a pause, as a person at the terminal would."""

    def ask_confirmation(self, step):
        time.sleep(1.2)
        return f"dikonfirmasi {step.number}"

    def ask_choice(self, step):
        return "tersedia"


def test_an_answered_prompt_is_the_steps_measured_time(sop_env):
    request_id = _approved(sop_env, "1.2", ["ctl1"])
    outcome = run_request(sop_env.ctx(), request_id, "budi", ui=_PersonAtTheTerminal())
    assert outcome.status == "succeeded"
    records = _records(sop_env, request_id)
    for number in (2, 4, 5, 6, 7):
        assert records[number].data["timing"] == "measured"
        assert 1.2 <= records[number].duration_seconds < 60
        assert not records[number].over_standard
