"""The gate matrix: every way to run a gated step without a valid approval fails,
inside `sop run` and inside a plain `ansible-playbook`.  The gated playbook is
real (SOP 6.1 repair: it deletes old files), so "the run proceeded" is seen on
disk: the old file is gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, text

from sop_runner import gates, impact
from sop_runner.config import REPO_ROOT
from sop_runner.errors import GateRefused
from sop_runner.execution import run_request
from sop_runner.extravars import write
from sop_runner.requests import create_request
from sop_runner.store.models import Approval, Request

CONFIRM = {2: "analisis ok", 3: "laporan ok", 4: "masalah dilaporkan", 6: "laporan akhir"}


def _request(env, old_file: Path, requester: str = "budi", targets=("ctl1",)) -> int:
    ctx = env.ctx()
    who = ctx.actor(requester)
    params = {"cleanup_path": str(old_file.parent), "max_age_days": 30}
    procedure = ctx.catalog.get("6.1")
    fixed = gates.fixed_impact(
        procedure, impact.analyse(procedure, ctx.inventory, list(targets)), params
    )
    with ctx.session() as session:
        req = create_request(session, who, "6.1", list(targets), params, "disk penuh", fixed)
        return req.id


def _sign(
    env,
    request_id: int,
    signer: str,
    role: str = "penanggung_jawab",
    expires: timedelta = timedelta(hours=1),
) -> int:
    ctx = env.ctx()
    who = ctx.actor(signer)
    with ctx.session() as session:
        req = session.get(Request, request_id)
        row = gates.sign_approval(req, 5, role, who, expires_in=expires)
        session.add(row)
        session.flush()
        return row.id


def _run_refused(env, request_id: int, old_file: Path, match: str) -> None:
    with pytest.raises(GateRefused, match=match):
        run_request(env.ctx(), request_id, "budi", CONFIRM)
    assert old_file.exists(), "the gated repair ran"


def test_valid_approval_lets_the_run_through(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "sari")
    outcome = run_request(sop_env.ctx(), request_id, "budi", CONFIRM)
    assert outcome.status == "succeeded"
    assert not old_file.exists()


def test_no_approval(sop_env, old_file):
    _run_refused(sop_env, _request(sop_env, old_file), old_file, "memerlukan persetujuan sah")


def test_approval_by_the_requester(sop_env, old_file):
    request_id = _request(sop_env, old_file, requester="rudi")
    _sign(sop_env, request_id, "rudi")
    _run_refused(sop_env, request_id, old_file, "menyetujui permintaannya sendiri")


def test_approval_by_a_wrong_role(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "ahmad")  # pimpinan signing as penanggung_jawab
    _run_refused(sop_env, request_id, old_file, "tidak memegang peran")


def test_expired_approval(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "sari", expires=timedelta(seconds=1))
    time.sleep(1.2)
    _run_refused(sop_env, request_id, old_file, "kedaluwarsa")


def test_request_changed_after_approval(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "sari")
    with sop_env.ctx().session() as session:
        req = session.get(Request, request_id)
        req.params = {**req.params, "max_age_days": 0}
    _run_refused(sop_env, request_id, old_file, "diubah setelah ditandatangani")


def test_approval_row_edited_in_database(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    approval_id = _sign(sop_env, request_id, "sari", expires=timedelta(seconds=1))
    time.sleep(1.2)
    with sop_env.ctx().engine.begin() as conn:  # push the expiry a year on, by hand
        conn.execute(
            text("UPDATE approvals SET expires_at = '2099-01-01T00:00:00+00:00' WHERE id = :i"),
            {"i": approval_id},
        )
    _run_refused(sop_env, request_id, old_file, "tanda tangan tidak sah")


def test_approval_copied_to_another_request(sop_env, old_file):
    approved = _request(sop_env, old_file)
    _sign(sop_env, approved, "sari")
    other = _request(sop_env, old_file)
    with sop_env.ctx().session() as session:
        row = session.scalars(select(Approval).where(Approval.request_id == approved)).one()
        session.add(
            Approval(
                **{
                    c.name: getattr(row, c.name)
                    for c in Approval.__table__.columns
                    if c.name not in ("id", "request_id")
                },
                request_id=other,
            )
        )
    _run_refused(sop_env, other, old_file, "tanda tangan tidak sah")


def test_status_names_each_gate_and_its_problem(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "ahmad")
    result = sop_env.sop("status", str(request_id))
    assert result.returncode == 0
    assert "tertunda" in result.stdout and "tidak memegang peran" in result.stdout


def _params_file(env, old_file: Path, **changed: object) -> str:
    path = old_file.parent.parent / "params.yml"
    path.unlink(missing_ok=True)
    params = {"cleanup_path": str(old_file.parent), "max_age_days": 30, **changed}
    write(path, {"sop_params": params})
    return f"@{path}"


def _playbook(env, *extra: str) -> subprocess.CompletedProcess[str]:
    bin_dir = Path(sys.executable).parent
    env_vars = {
        **os.environ,
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
    }
    return subprocess.run(
        [
            str(bin_dir / "ansible-playbook"),
            "-i",
            str(env.ctx().settings.inventory / "hosts.yml"),
            "playbooks/resource_repair.yml",
            *extra,
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        env=env_vars,
        timeout=300,
    )


def test_plain_ansible_playbook_without_request_fails_before_any_change(sop_env, old_file):
    result = _playbook(sop_env, "-l", "ctl1", "-e", _params_file(sop_env, old_file))
    assert result.returncode != 0
    assert "sop_request" in result.stdout and "sop approve" in result.stdout
    assert old_file.exists()


def test_plain_ansible_playbook_with_approved_request_but_other_targets(sop_env, old_file):
    request_id = _request(sop_env, old_file)
    _sign(sop_env, request_id, "sari")
    args = ["-e", f"sop_request={request_id}", "-e", _params_file(sop_env, old_file)]
    result = _playbook(sop_env, *args)  # all hosts: ctl1 and ctl2
    assert result.returncode != 0 and "play ini menyasar ctl1, ctl2" in result.stdout
    assert old_file.exists()
    changed = _playbook(
        sop_env,
        "-l",
        "ctl1",
        "-e",
        f"sop_request={request_id}",
        "-e",
        _params_file(sop_env, old_file, max_age_days=1),
    )
    assert changed.returncode != 0 and "sop_params.max_age_days" in changed.stdout
    assert old_file.exists()
    # The same request, exactly as approved, goes through: the refusals above were the gate.
    args = ["-e", f"sop_request={request_id}", "-e", _params_file(sop_env, old_file)]
    exact = _playbook(sop_env, "-l", "ctl1", *args)
    assert exact.returncode == 0, exact.stdout
    assert not old_file.exists()
    # ... once: the step is claimed, a second plain run of it is refused.
    old_file.write_text("again\n")
    past = time.time() - 40 * 86400
    os.utime(old_file, (past, past))
    again = _playbook(sop_env, "-l", "ctl1", *args)
    assert again.returncode != 0 and "sudah dijalankan lewat ansible-playbook" in again.stdout
    assert old_file.exists()


def test_check_mode_changes_nothing_and_needs_no_request(sop_env, old_file):
    result = _playbook(sop_env, "-l", "ctl1", "--check", "-e", _params_file(sop_env, old_file))
    assert result.returncode == 0, result.stdout
    assert old_file.exists()


def test_critical_service_needs_no_pimpinan_where_the_document_names_none(sop_env, old_file):
    # 6.1 names no Pimpinan (issue 16): on a host of a critical service the
    # penanggung jawab's approval alone lets the repair through.
    request_id = _request(sop_env, old_file, targets=("ctl2",))
    _sign(sop_env, request_id, "sari")
    ctx = sop_env.ctx()
    trusted = ctx.trusted
    with ctx.session() as session:
        req = session.get(Request, request_id)
        procedure = ctx.catalog.get("6.1")
        states = gates.gate_states(
            session,
            req,
            procedure,
            impact.analyse(procedure, ctx.inventory, req.targets, req.params),
            trusted,
        )
    assert [s.requirement.role for s in states] == ["penanggung_jawab"]
    assert all(s.satisfied for s in states)
    assert run_request(sop_env.ctx(), request_id, "budi", CONFIRM).status == "succeeded"
    assert not old_file.exists()
