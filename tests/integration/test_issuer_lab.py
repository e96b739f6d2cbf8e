"""Issue 15 part 5 on the lab: the automation account has no standing key.

The lab's hosts trust only the issuer's CA for root (sop_runner/lab/access.py).  A play
that skips the gate (``--start-at-task``), a copied play without it, or a play over a
store with a forged approval gets no certificate, and SSH refuses it: the host is
unchanged.  The admin key (the lab's set-up, ``lab.ssh``) opens the admin account only.
"""

from __future__ import annotations

import json
import os
import pwd
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, text

from sop_runner.config import REPO_ROOT
from sop_runner.requests import request_hash
from sop_runner.store.models import Request
from tests.support.attacker import RUNUSER, throwaway_user
from tests.support.issuer import ask_as
from tests.support.sop import ok

pytestmark = pytest.mark.lab

BIN = Path(sys.executable).parent
CLEANUP = "/var/tmp/sop-gate-skip"
PARAMS = {"cleanup_path": CLEANUP, "max_age_days": 30}


@pytest.fixture
def old_file(lab):
    """On srv1, a folder holding one file 40 days old (what resource_repair.yml removes)."""
    made = f"mkdir -p {CLEANUP} && touch -d '40 days ago' {CLEANUP}/old.log"
    lab.ssh("srv1", f"rm -rf {CLEANUP} && {made}")
    yield f"{CLEANUP}/old.log"
    lab.ssh("srv1", f"rm -rf {CLEANUP}")


def _task_after_the_gate(playbook: str) -> str:
    """Given a playbook, return the name of the first task after its sop_gate task."""
    plays = yaml.safe_load((REPO_ROOT / "playbooks" / playbook).read_text())
    tasks = plays[0]["tasks"]
    gate = next(i for i, t in enumerate(tasks) if "sop_gate" in t)
    return str(tasks[gate + 1]["name"])


def _play(args: list[str], env: dict[str, str], user: str | None = None):  # type: ignore[no-untyped-def]
    """Run `ssh-agent ansible-playbook ARGS` (an agent of its own, empty) as user or root."""
    command = ["ssh-agent", str(BIN / "ansible-playbook"), *args]
    if user is not None:
        command = [RUNUSER, "-u", user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
                   *command]  # fmt: skip
    return subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, env=env, timeout=300
    )


def test_a_play_past_the_gate_or_without_it_reaches_no_host(lab, old_file, tmp_path):
    with throwaway_user() as user:
        home = Path(pwd.getpwnam(user).pw_dir)
        # Without pipelining Ansible's first contact sends nothing on ssh's stdin, so the
        # refusal is always reported in ssh's own words; with it, a fast refusal sometimes
        # surfaced as "Broken pipe" (Ansible still writing the module) on a loaded machine.
        env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8",
               "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
               "ANSIBLE_PIPELINING": "False"}  # fmt: skip
        extra = json.dumps({"sop_request": "1", "sop_params": PARAMS})
        skipped = _play(
            ["-i", str(lab.inventory), "playbooks/resource_repair.yml", "-l", "srv1",
             "--start-at-task", _task_after_the_gate("resource_repair.yml"), "-e", extra],
            env, user,
        )  # fmt: skip
        assert skipped.returncode != 0
        assert "UNREACHABLE" in skipped.stdout and "Permission denied" in skipped.stdout, (
            skipped.stdout[-2000:]
        )
        copied = home / "copied.yml"
        copied.write_text(
            "- hosts: srv1\n  gather_facts: false\n  tasks:\n"
            f"    - ansible.builtin.file: {{path: {old_file}, state: absent}}\n"
        )
        os.chmod(copied, 0o644)
        plain = _play(["-i", str(lab.inventory), str(copied)], env, user)
        assert plain.returncode != 0 and "Permission denied" in plain.stdout, plain.stdout[-2000:]
    assert lab.ssh("srv1", f"test -e {old_file}", check=False).returncode == 0
    # The admin key opens the admin account, not root (the automation account).
    as_root = subprocess.run(
        ["ssh", "-i", str(lab.state.ssh_key), "-o", "IdentitiesOnly=yes", "-o", "BatchMode=yes",
         "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
         f"root@{lab.address('srv1')}", "true"],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip
    assert as_root.returncode == 255 and "Permission denied" in as_root.stderr


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_forged_approval_in_the_store_gets_no_certificate(lab_env, lab, old_file, lab_issuer):
    env = lab_env
    ok(env.sop("request", "6.1", "--target", "srv1", "--reason", "disk penuh",
               "--param", f"cleanup_path={CLEANUP}", "--param", "max_age_days=30",
               operator="budi"))  # fmt: skip
    # Whoever can write the store adds an approval row in sari's name (no key of hers).
    with env.ctx().session() as session:
        request = session.get(Request, 1)
        assert request is not None
        the_hash = request_hash(request)  # what a real approval of it would carry
    engine = create_engine(env.db_url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO approvals (request_id, request_hash, step_number, role, signer, "
                "fingerprint, registry_version, decision, reason, signed_at, expires_at, "
                "signature) VALUES (1, :h, 5, 'penanggung_jawab', 'sari', 'SHA256:forged', 1, "
                "'approve', '', '2025-01-01T00:00:00+00:00', '2999-01-01T00:00:00+00:00', :s)"
            ),
            {"h": the_hash, "s": "00" * 64},
        )
    refused = ask_as(None, lab_issuer.socket, env.trust.key_dir, kind="step", operator="budi",
                     request=1, step=5)  # fmt: skip
    assert "memerlukan persetujuan sah dari penanggung_jawab" in refused["error"], refused
    extra = json.dumps({"sop_request": "1", "sop_params": PARAMS})
    play_env = {**os.environ, **env.trust.env(), "SOP_OPERATOR": "budi"}
    through_gate = _play(
        ["-i", str(lab.inventory), "playbooks/resource_repair.yml", "-l", "srv1", "-e", extra],
        play_env,
    )
    assert through_gate.returncode != 0, through_gate.stdout[-2000:]
    assert lab.ssh("srv1", f"test -e {old_file}", check=False).returncode == 0
    assert not [e for e in lab_issuer.log_entries() if e["decision"] == "issued"]
