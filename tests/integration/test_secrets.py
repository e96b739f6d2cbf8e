"""A secret planted for one SOP 7.1 backup on the lab (srv1 to the SFTP repository on
the backup host) is found nowhere the run leaves anything: no command line of any
process while it runs (the controller's and the hosts': their PID namespaces are
below ours), no file of the installation (runner artifacts, reports, the store), no
row of any table (the audit trail included), no file the run wrote on srv1 or on
the backup host (their logs among them).

The restic password is given the way an operator may give it (RESTIC_PASSWORD in
`sop run`'s environment) and a database password beside it (PGPASSWORD); the lab's
own database password is looked for too.  The component variant (no lab) is
tests/component/test_secrets.py.
"""

from __future__ import annotations

import os
import time
import uuid

import pytest

from sop_runner.lab import plan
from tests.support.remote_restic import restic_on
from tests.support.sentinel import CmdlineSampler, files_holding, tables_holding
from tests.support.sop import ok, run_sop

pytestmark = [pytest.mark.lab, pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)]


def test_a_planted_secret_is_found_nowhere_a_lab_backup_leaves_anything(lab_env, lab):
    env, token = lab_env, uuid.uuid4().hex
    restic_password, db_password = f"restic-{token}", f"pg-{token}"
    data = f"/srv/sop-uji-rahasia-{token[:8]}"
    lab.ssh("srv1", f"mkdir -p {data} && echo isi > {data}/laporan.txt")
    made = ok(
        env.sop(
            "request", "7.1", "--target", "srv1", "--reason", "uji rahasia",
            "--param", f"paths=[{data}]", "--param", f"repository={env.repo}",
            operator="budi",
        )
    )  # fmt: skip
    request_id = made.stdout.split()[1]
    started = time.time()
    run_env = dict(os.environ, SOP_OPERATOR="budi", RESTIC_PASSWORD=restic_password)
    run_env["PGPASSWORD"] = db_password
    with CmdlineSampler([restic_password, db_password], watch=["restic"]) as sampler:
        ran = run_sop(
            "run", request_id, "--confirm", "1=akses", "--confirm", "2=media",
            "--confirm", "4=laporan", env=run_env,
        )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    ok(env.sop("report", request_id))

    # The sampler saw the play and restic on srv1, and no secret on any command line.
    assert sampler.seen_with("ansible-playbook")
    assert [line for line in sampler.seen_with("restic") if " backup " in line], sampler.seen
    assert sampler.hits == []
    for command_line in sampler.seen_with("ansible-playbook"):  # parameters: a 0600 file
        assert env.repo not in command_line, command_line
    secrets = [restic_password, db_password]
    lab_db_password = plan.DB_PASSWORD_FILE.read_text().strip()
    assert files_holding(env.root, [*secrets, lab_db_password]) == []
    assert tables_holding(env.db_url, [*secrets, lab_db_password]) == []
    for host in ("srv1", "backup"):  # what the run wrote on the hosts (logs, caches, keys)
        assert files_holding(plan.host(host).dir / "upper", secrets, since=started) == []
    assert restic_password not in ran.stdout + ran.stderr

    # The secret was really restic's password: the snapshot opens with it.
    listed = restic_on(lab, "srv1", env.repo, restic_password, "snapshots --json")
    assert f'"paths":["{data}"]' in listed.stdout.replace(" ", "")
    lab.ssh("srv1", f"rm -rf {data}")
