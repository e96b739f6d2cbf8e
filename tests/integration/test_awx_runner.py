"""AWX's execution path on the lab: a job's private data dir, laid out as AWX lays it
(project/, inventory/, env/extravars with AWX's job metadata, env/envvars from the
credential), goes `ansible-runner transmit | ansible-runner worker | ansible-runner
process` (what receptor does between AWX and an execution node).  The gated 6.1 repair
changes srv1, and the store names the AWX job and user."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.store.models import AuditEntry, Run, StepRecord
from tests.support.sop import ok

pytestmark = pytest.mark.lab

BIN = Path(sys.executable).parent
CLEANUP = "/var/tmp/sop-awx"
# What AWX puts in every job's extra vars besides the survey's answer.
AWX_METADATA = {
    "awx_job_id": 7301,
    "awx_job_launch_type": "manual",
    "awx_job_template_name": "SOP 6.1 langkah 5: resource_repair",
    "awx_user_name": "budi.awx",
    "awx_user_id": 3,
    "tower_job_id": 7301,
    "tower_user_name": "budi.awx",
}


def _private_data_dir(folder: Path, inventory: Path, extravars: dict, envvars: dict) -> Path:
    """Given a folder, lay out a job's private data dir as AWX does; return it."""
    project = folder / "project"
    project.mkdir(parents=True)
    for name in ("playbooks", "library", "plugins", "roles"):
        shutil.copytree(REPO_ROOT / name, project / name, ignore=shutil.ignore_patterns("__py*"))
    shutil.copy2(REPO_ROOT / "ansible.cfg", project / "ansible.cfg")
    shutil.copytree(inventory.parent, folder / "inventory")
    (folder / "env").mkdir(mode=0o700)
    (folder / "env" / "extravars").write_text(yaml.safe_dump(extravars))
    (folder / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    return folder


def _pipeline(pdd: Path, limit: str) -> subprocess.CompletedProcess[str]:
    """Run transmit | worker | process; the worker has an ssh-agent of its own (AWX starts
    one per job), which the gate loads the step's certificate into."""
    runner = BIN / "ansible-runner"
    command = (
        f"{runner} transmit {pdd} -p playbooks/resource_repair.yml --limit {limit} "
        f"| ssh-agent {runner} worker | {runner} process {pdd}"
    )
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}"}
    env.pop("SSH_AUTH_SOCK", None)
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c", command],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
        check=False,
    )


# One store is enough here: the store's code is the same as in the component tests.
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_transmit_worker_process_runs_a_gated_repair_named_by_awx(lab_env, lab, tmp_path):
    env = lab_env
    lab.ssh(
        "srv1",
        f"rm -rf {CLEANUP} && mkdir -p {CLEANUP} && touch -d '40 days ago' {CLEANUP}/old.log",
    )
    ok(
        env.sop(
            "request", "6.1", "--target", "srv1", "--param", f"cleanup_path={CLEANUP}",
            "--param", "max_age_days=30", "--reason", "disk srv1 penuh (AWX)", operator="budi",
        )
    )  # fmt: skip
    ok(env.sop("approve", "1", operator="sari"))
    settings = {k: v for k, v in os.environ.items() if k.startswith("SOP_")}
    pdd = _private_data_dir(
        tmp_path / "awx_7301",
        Path(lab.inventory),
        {"sop_request": 1, **AWX_METADATA},  # the survey asks the request alone
        # The credential "sop-pusatdata"; the runner sets its own callback path, so the
        # records callback is named (the EE enables it by its collection name instead).
        {**settings, "SOP_OPERATOR": "budi", "ANSIBLE_CALLBACK_PLUGINS": "plugins/callback"},
    )
    done = _pipeline(pdd, "srv1")
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    # process writes the job's artifacts back into the private data dir, as AWX reads them.
    assert (pdd / "artifacts" / "status").read_text() == "successful", done.stdout[-3000:]
    gone = lab.ssh("srv1", f"test -e {CLEANUP}/old.log", check=False)
    assert gone.returncode != 0, "the repair did not run on srv1"
    with env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == 1)).one()
        entries = [json.loads(e.content) for e in session.scalars(select(AuditEntry)).all()]
        step = session.scalars(select(StepRecord).where(StepRecord.run_id == run.id)).one()
    # The callback recorded the AWX job's step as `sop run` records its own.
    assert (step.step_number, step.status, step.data["removed_files"]) == (
        5,
        "done",
        {"srv1": [f"{CLEANUP}/old.log"]},
    )
    assert run.status == "outside" and run.claim is not None
    assert (run.claim["awx_job_id"], run.claim["awx_user_name"]) == (7301, "budi.awx")
    passed = [e for e in entries if e["action"] == "gate.passed"]
    assert passed and passed[-1]["actor"] == "awx:budi.awx"
    assert all(e["actor"] != "ansible" for e in entries if e["action"].startswith("gate."))
