"""SOP 3.1 pieces that run on a real store or a real Ansible, without the lab: the
recorder (SQLite and PostgreSQL), the netconfig module's documentation, and check
mode not leaking from `sop plan` into later runs."""

from __future__ import annotations

import subprocess
import sys

from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config import recorders
from sop_runner.procedures.config.models import ConfigDocument, ConfigLogEntry
from sop_runner.trust.trustfile import TrustRoot
from tests.support.runs import request_and_run


def test_recorder_logs_only_changed_devices(sop_env) -> None:
    with sop_env.ctx().session() as session:
        run = request_and_run(
            session, "3.1", ["srv1", "rtr1"], {"config_ref": "pr-5"}, "naikkan keepalive"
        )
        count = recorders.record_config_changes(
            session,
            run.id,
            {
                "srv1": {
                    "kind": "server",
                    "changed": True,
                    "files": ["/etc/x.conf"],
                    "before": "k 65;\n",
                    "after": "k 30;\n",
                    "steps": ["s"],
                    "tests": {"port": True},
                },
                "rtr1": {"kind": "network_device", "changed": False, "diff": ""},
                "srv1/sysctl_config": {
                    "device": "srv1",
                    "kind": "server",
                    "changed": True,
                    "files": ["/etc/sysctl.d/60.conf"],
                    "before": "x = 60\n",
                    "after": "x = 30\n",
                },
                "srv1/web_config": {"device": "srv1", "kind": "server", "changed": False},
            },
        )
        assert count == 2
        sysctl = session.scalars(select(ConfigLogEntry).where(ConfigLogEntry.id == 2)).one()
        assert sysctl.device == "srv1" and "+x = 30" in sysctl.substance
        entry = session.scalars(select(ConfigLogEntry).where(ConfigLogEntry.id == 1)).one()
        assert entry.device == "srv1" and "-k 65;\n+k 30;" in entry.substance
        assert "pr-5" in entry.notes and "test passed" in entry.notes
        doc = session.scalars(select(ConfigDocument).where(ConfigDocument.log_id == entry.id)).one()
        assert (doc.purpose, doc.existing_state, doc.log_id) == (
            "naikkan keepalive",
            "k 65;\n",
            entry.id,
        )


def test_module_documentation_renders() -> None:
    out = subprocess.run(
        [str(REPO_ROOT / ".venv/bin/ansible-doc"), "-M", str(REPO_ROOT / "library"), "netconfig"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "commit-confirm" in out.stdout and "revert_in" in out.stdout


def test_check_mode_of_a_plan_does_not_turn_later_runs_into_check_runs(tmp_path) -> None:
    """ansible-runner reads back the env files of earlier runs; a check run (`sop plan`)
    left "--check --diff" there, and the next real run changed nothing and passed."""
    from sop_runner.config import Settings
    from sop_runner.runner import run_playbook

    repo = tmp_path / "repo"
    (repo / "playbooks").mkdir(parents=True)
    (repo / "ansible.cfg").write_text("[defaults]\ngathering = explicit\n")
    (repo / "playbooks" / "probe.yml").write_text(
        "- hosts: all\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.set_stats:\n"
        "        data: {mode: \"{{ 'check' if ansible_check_mode else 'real' }}\","
        " v: \"{{ v | default('none') }}\"}\n"
    )
    inventory = tmp_path / "hosts.yml"
    inventory.write_text(
        "all:\n  hosts:\n    localhost: {ansible_connection: local,"
        f" ansible_python_interpreter: {sys.executable}}}\n"
    )
    trust = TrustRoot(
        path=tmp_path / "trust.yml",
        threshold=1,
        root_keys=(),
        store="sqlite://",
        inventory=inventory,
        registry=tmp_path / "registry",
    )
    settings = Settings(
        repo_root=repo,
        data_dir=tmp_path / "data",
        key_dir=tmp_path / "keys",
        lang="en",
        preset_trust=trust,
    )
    plan = run_playbook(settings, "probe.yml", ["localhost"], {"v": "a"}, "plan-1", check=True)
    run = run_playbook(settings, "probe.yml", ["localhost"], {}, "r1-s4-a1")
    assert (plan.artifact_data, run.artifact_data) == (
        {"mode": "check", "v": "a"},
        {"mode": "real", "v": "none"},
    )
