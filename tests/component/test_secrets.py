"""A secret planted for one real SOP 7.1 backup (ansible-runner, ansible-playbook on the
controller, restic on a local repository) is found nowhere the run leaves anything:
no process's command line while it runs, no file of the installation (runner
artifacts, reports, the store file), no row of any table (the audit trail included).

The restic password is given the way an operator may give it (RESTIC_PASSWORD in
`sop run`'s environment), and a database password beside it (PGPASSWORD).  On the
main of issue 14 ansible-runner's artifacts/<ident>/command kept both, with the
rest of the environment.  The lab variant is tests/integration/test_secrets.py.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.sentinel import CmdlineSampler, files_holding, tables_holding
from tests.support.sop import ok, run_sop

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@pytest.fixture
def source() -> Iterator[Path]:
    """A folder to back up where 7.1 allows it (under /srv), removed afterwards."""
    folder = Path("/srv") / f"sop-uji-rahasia-{uuid.uuid4().hex[:8]}"
    (folder / "docs").mkdir(parents=True)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_a_planted_secret_is_found_nowhere_a_backup_run_leaves_anything(sop_env, source):
    token = uuid.uuid4().hex
    restic_password, db_password = f"restic-{token}", f"pg-{token}"
    (source / "docs" / "laporan.txt").write_text("isi laporan\n")
    repository = str(sop_env.root / "restic-repo")
    made = ok(
        sop_env.sop(
            "request", "7.1", "--target", "ctl1", "--reason", "uji rahasia",
            "--param", f"paths=[{source}]", "--param", f"repository={repository}",
            operator="budi",
        )
    )  # fmt: skip
    request_id = made.stdout.split()[1]
    # A secret typed as a parameter is refused before anything is written.
    typed = sop_env.sop(
        "request", "7.1", "--target", "ctl1", "--reason", "uji",
        "--param", f"paths=[{source}]", "--param", f"repository={repository}",
        "--param", f"restic_password=typed-{token}", operator="budi",
    )  # fmt: skip
    assert typed.returncode == 2 and len(typed.stderr.strip().splitlines()) == 1

    env = dict(os.environ, SOP_OPERATOR="budi", RESTIC_PASSWORD=restic_password)
    env["PGPASSWORD"] = db_password
    with CmdlineSampler([restic_password, db_password]) as sampler:
        ran = run_sop(
            "run", request_id, "--confirm", "1=akses", "--confirm", "2=media",
            "--confirm", "4=laporan", env=env,
        )  # fmt: skip
    assert ran.returncode == 0, ran.stdout + ran.stderr
    ok(sop_env.sop("report", request_id))

    playbooks = sampler.seen_with("ansible-playbook")
    assert playbooks, f"the sampler saw no ansible-playbook ({sampler.samples} samples)"
    assert sampler.hits == []
    for command_line in playbooks:  # parameters reach Ansible through a 0600 file
        assert repository not in command_line, command_line
    secrets = [restic_password, db_password, f"typed-{token}"]
    assert files_holding(sop_env.root, secrets) == []
    assert tables_holding(sop_env.db_url, secrets) == []
    assert restic_password not in ran.stdout + ran.stderr

    # The secret was really used: the run made its snapshot with it.
    listed = subprocess.run(
        ["restic", "-r", repository, "snapshots", "--json"],
        env=dict(os.environ, RESTIC_PASSWORD=restic_password),
        capture_output=True,
        text=True,
        check=True,
    )
    assert len(json.loads(listed.stdout)) == 1
    data = sop_env.root / "data"
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    store = sop_env.db_url.removeprefix("sqlite:///")
    assert stat.S_IMODE(os.stat(store).st_mode) == 0o600
    artifacts = list((data / "runner" / "artifacts").iterdir())
    assert artifacts
    for folder in artifacts:
        for path in folder.rglob("*"):
            expected = 0o600 if path.is_file() else 0o700
            assert stat.S_IMODE(path.stat().st_mode) == expected, path
        command = (folder / "command").read_text()
        assert '"env"' not in command and "RESTIC_PASSWORD" in command  # names only
