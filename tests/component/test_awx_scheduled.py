"""An AWX schedule's job (awx/scheduled_run.yml) run by ansible-playbook as AWX's job
would run it: the schedule's extra_data, the credential's environment (operator, the key
as a file AWX wrote, no key folder of the operator's own).  It makes the 7.5 request as
the operator, runs it, and stops waiting for the penanggung jawab (exit 3, not a failure);
the key copy is gone afterwards."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.store.models import Request, Run, StepRecord

SQLITE_ONLY = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
BIN = Path(sys.executable).parent


@SQLITE_ONLY
def test_a_scheduled_awx_job_makes_and_runs_its_request(sop_env, tmp_path):
    # AWX writes the credential's key to a file of its own and names it in the environment.
    awx_key = tmp_path / "awx-credential-key"
    shutil.copy2(Path(os.environ["SOP_KEY_DIR"]) / "budi.ed25519", awx_key)
    extra = tmp_path / "extra_data.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                "sop_schedule": {
                    "procedure": "7.5",
                    "targets": ["ctl1"],
                    "params": {"repository": "/mnt/backup/restic", "max_age_days": 365},
                    "confirm": [1],
                    "reason": "jadwal SOP 7.5 (AWX)",
                },
                "awx_job_id": 99,
            }
        )
    )
    env = {k: v for k, v in os.environ.items() if k != "SOP_KEY_DIR"}
    env.update(
        {
            "PATH": f"{BIN}:{os.environ['PATH']}",
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "SOP_OPERATOR": "budi",
            "SOP_OPERATOR_KEY_FILE": str(awx_key),
        }
    )
    done = subprocess.run(
        [str(BIN / "ansible-playbook"), "awx/scheduled_run.yml", "-e", f"@{extra}"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:]
    with sop_env.ctx().session() as session:
        request = session.scalars(select(Request)).one()
        run = session.scalars(select(Run).where(Run.request_id == request.id)).one()
        steps = session.scalars(select(StepRecord).where(StepRecord.run_id == run.id)).all()
        made = (request.procedure_id, request.requested_by, request.targets, request.params)
        ran = (run.status, [(s.step_number, s.note) for s in steps])
    assert made == ("7.5", "budi", ["ctl1"], {"repository": "/mnt/backup/restic",
                                              "max_age_days": 365})  # fmt: skip
    assert ran == ("waiting", [(1, "terjadwal")])
    assert not list(Path("/tmp").glob("sop-keys-*/budi.ed25519"))
