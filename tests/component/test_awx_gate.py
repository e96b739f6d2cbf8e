"""A play launched by AWX: its extra vars are the request alone (the job template's survey)
and AWX's own job metadata.  The gate lets it through with the request's approved
parameters, and the store names the AWX job and user, not "ansible"."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from sop_runner.extravars import write
from sop_runner.store.models import AuditEntry, Run
from tests.component.test_gate_matrix import _playbook, _request, _sign

# What AWX adds to every job's extra vars (awx/main/tasks/jobs.py: awx_job_id, awx_user_name …).
AWX_VARS = {
    "awx_job_id": 4242,
    "awx_job_template_name": "SOP 6.1 langkah 5: resource_repair",
    "awx_user_name": "budi.awx",
    "awx_user_id": 7,
    "tower_job_id": 4242,
}


def _awx_extravars(folder: Path, request_id: int, **more: object) -> str:
    path = folder / "awx-extravars.yml"
    path.unlink(missing_ok=True)
    write(path, {"sop_request": request_id, **AWX_VARS, **more})
    return f"@{path}"


def _entries(env, action: str) -> list[dict]:
    with env.ctx().session() as session:
        rows = session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()
        found = [json.loads(row.content) for row in rows]
    return [entry for entry in found if entry["action"] == action]


def test_an_awx_job_runs_with_the_approved_parameters_and_names_its_user(sqlite_sop_env, old_file):
    env = sqlite_sop_env
    request_id = _request(env, old_file)
    _sign(env, request_id, "sari")
    result = _playbook(env, "-l", "ctl1", "-e", _awx_extravars(old_file.parent.parent, request_id))
    assert result.returncode == 0, result.stdout
    assert not old_file.exists(), "the repair did not run with the request's parameters"
    with env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == request_id)).one()
        assert run.status == "outside"
        assert run.claim is not None
        assert (run.claim["awx_job_id"], run.claim["awx_user_name"]) == (4242, "budi.awx")
    passed = _entries(env, "gate.passed")[-1]
    assert passed["actor"] == "awx:budi.awx"
    assert passed["data"]["awx_job_id"] == 4242


def test_an_awx_job_refused_is_logged_with_its_user(sqlite_sop_env, old_file):
    env = sqlite_sop_env
    request_id = _request(env, old_file)  # not approved
    result = _playbook(env, "-l", "ctl1", "-e", _awx_extravars(old_file.parent.parent, request_id))
    assert result.returncode != 0 and old_file.exists()
    refused = _entries(env, "gate.refused")[-1]
    assert refused["actor"] == "awx:budi.awx" and refused["data"]["awx_job_id"] == 4242


def test_a_survey_answer_outside_sop_params_is_still_refused(sqlite_sop_env, old_file):
    env = sqlite_sop_env
    request_id = _request(env, old_file)
    _sign(env, request_id, "sari")
    folder = old_file.parent.parent
    result = _playbook(
        env, "-l", "ctl1", "-e", _awx_extravars(folder, request_id, cleanup_path="/etc")
    )
    assert result.returncode != 0 and "cleanup_path" in result.stdout
    assert old_file.exists()
