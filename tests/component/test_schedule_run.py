"""A schedule that runs: `sop backup schedule --install` writes a systemd timer (and a
cron line) whose command is run here as systemd (or cron) would run it — the ExecStart
line read by systemd's own quoting rules, with only the EnvironmentFile's variables and
systemd's default PATH (no venv, no HOME).  The scheduled 7.5 retention makes its
request, confirms step 1 "terjadwal" and waits for the penanggung jawab (exit 3)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.store.models import Request, Run, StepRecord
from tests.support.systemd import environment_file, run_as_systemd, systemd_words, unit_fields

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
REPO = "/mnt/backup/restic"


def _scheduled_request(env) -> tuple[Request, Run, list[StepRecord]]:  # type: ignore[no-untyped-def]
    with env.ctx().session() as session:
        request = session.scalars(select(Request).where(Request.procedure_id == "7.5")).one()
        run = session.scalars(select(Run).where(Run.request_id == request.id)).one()
        steps = list(session.scalars(select(StepRecord).where(StepRecord.run_id == run.id)))
        session.expunge_all()
    return request, run, steps


def _install(env, fmt: str, dest: Path):  # type: ignore[no-untyped-def]
    result = env.sop(
        "backup", "schedule", "--target", "ctl1", "--repository", REPO,
        "--format", fmt, "--install", "--dest", str(dest), "--as", "budi",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return result


@SQLITE_ONLY
def test_a_systemd_timer_command_runs_as_systemd_would_run_it(sop_env, tmp_path):
    units = tmp_path / "units"
    _install(sop_env, "systemd", units)
    service = units / "sop-backup-retention.service"
    verified = subprocess.run(
        ["systemd-analyze", "verify", str(service)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert "escape" not in verified.stderr, verified.stderr
    fields = unit_fields(service)
    settings = environment_file(Path(fields["EnvironmentFile"]))
    assert set(settings) >= {"SOP_TRUST_FILE", "SOP_DATA_DIR", "SOP_KEY_DIR", "SOP_LANG"}
    argv = systemd_words(fields["ExecStart"])
    assert argv[:2] == ["/bin/sh", "-c"] and Path(argv[2].split("$(")[1].split()[0]).is_absolute()
    done = run_as_systemd(service)
    # 7.5 waits for the penanggung jawab's approval after its scheduled step 1.
    assert done.returncode == 3, done.stdout + done.stderr
    request, run, steps = _scheduled_request(sop_env)
    assert request.requested_by == "budi" and request.targets == ["ctl1"]
    assert run.status == "waiting"
    assert [(s.step_number, s.note) for s in steps] == [(1, "terjadwal")]


@SQLITE_ONLY
def test_a_cron_line_runs_as_cron_would_run_it(sop_env, tmp_path):
    cron_file = tmp_path / "cron.d" / "sop-pusatdata-backup"
    _install(sop_env, "cron", cron_file)
    (line,) = [entry for entry in cron_file.read_text().splitlines() if "request 7.5 " in entry]
    command = line.split(" root ", 1)[1]
    assert "%" not in command  # cron would cut the line there
    done = subprocess.run(
        ["/bin/sh", "-c", command],
        env={"PATH": "/usr/local/bin:/usr/bin:/bin", "SHELL": "/bin/sh"},
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
        cwd="/",
    )
    assert done.returncode == 3, done.stdout + done.stderr
    _, run, steps = _scheduled_request(sop_env)
    assert run.status == "waiting" and [s.step_number for s in steps] == [1]
