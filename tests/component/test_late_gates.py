"""A gate after the analysis (issue 16, SOP 4.2): the Pimpinan approves the OS upgrade
once steps 2–4 are done and recorded, not with the order at step 1.  Approving earlier
is refused (exit 4, nothing written), and so is a plain play of a later step (the gate
of the playbooks, sop_runner/gate_check.py, on the same rule)."""

from __future__ import annotations

import json
import os

import pytest
from sqlalchemy import select

from sop_runner.errors import AwaitingApproval
from sop_runner.gate_check import check_play
from sop_runner.requests import new_request
from sop_runner.store.models import Approval, AuditEntry
from tests.support.sop import ok, run_sop

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

WINDOW = "2026-12-05T22:00+07:00/2026-12-06T02:00+07:00"


def _upgrade(env) -> int:
    params = {"repository": "/var/backups/restic", "maintenance_window": WINDOW}
    request = new_request(env.ctx(), "4.2", ["ctl2"], params, "pembaruan keamanan", "budi")
    ok(env.sop("approve", str(request.id), operator="sari"))  # step 1: the order
    return request.id


def test_the_pimpinan_cannot_approve_the_upgrade_before_its_analysis(sop_env):
    request_id = _upgrade(sop_env)
    for args in ((), ("--step", "6")):
        said = sop_env.sop("approve", str(request_id), *args, operator="ahmad")
        assert said.returncode == 4, said.stdout + said.stderr
        assert "sebelum langkah 2, 3, 4 selesai" in said.stderr, said.stderr
        assert "\n" not in said.stderr.strip() and "Traceback" not in said.stderr
    roles, entries = _stored(sop_env)
    actions = [e["action"] for e in entries]
    assert roles == ["penanggung_jawab"], "an approval before the analysis was written"
    assert actions.count("approval.approve") == 1
    status = json.loads(ok(sop_env.sop("status", str(request_id), "--json")).stdout)
    (late,) = [g for g in status["gates"] if g["role_id"] == "pimpinan"]
    assert (late["step"], late["after"], late["not_yet"]) == (6, [2, 3, 4], [2, 3, 4])
    assert [w["role"] for w in status["waiting_for"]] == ["petugas"], (
        "nobody waits for the Pimpinan before the analysis: the run goes first"
    )


def test_a_play_after_the_pimpinan_step_is_refused_before_the_analysis(sop_env):
    """What `ansible-playbook playbooks/os_upgrade_backup.yml -e sop_request=ID` meets:
    the sop_gate action plugin's check (plugins/action/sop_gate.py → check_play)."""
    request_id = _upgrade(sop_env)
    extra = {"sop_request": str(request_id), "sop_params": _params(sop_env, request_id)}
    with pytest.raises(AwaitingApproval, match=r"langkah 6.*pimpinan.*langkah 2, 3, 4"):
        check_play(sop_env.ctx(), request_id, "4.2", 7, ["ctl2"], extra, "os_upgrade_backup.yml")
    _roles, entries = _stored(sop_env)
    (refused,) = [e for e in entries if e["action"] == "gate.refused"]
    assert refused["data"]["step"] == 7


def test_show_names_the_gate_after_the_analysis(sop_env):
    shown = ok(run_sop("show", "4.2", env={**os.environ, "COLUMNS": "250"})).stdout
    (line,) = [row for row in shown.splitlines() if "Pimpinan" in row and "⛨" in row]
    assert "setelah langkah 2, 3, 4" in line, line
    # The branch a failed test takes (catalog when_failed) is shown beside its step.
    hardware = ok(run_sop("show", "4.1", env={**os.environ, "COLUMNS": "250"})).stdout
    assert "jika gagal: langkah 7 = batal" in hardware


def _stored(env) -> tuple[list[str], list[dict]]:
    """Given an installation, return the roles of its approvals and its audit entries."""
    with env.ctx().session() as session:
        roles = [a.role for a in session.scalars(select(Approval).order_by(Approval.id))]
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry))]
    return roles, entries


def _params(env, request_id: int) -> dict:
    from sop_runner.requests import get_request

    with env.ctx().session() as session:
        return dict(get_request(session, request_id).params)
