"""The collection: `make collection` builds it from library/, plugins/ and roles/; installed
into a folder of its own, a playbook that names everything by fully qualified name (the
gate, a module with module_utils) runs gated, with no setting of the repository's
ansible.cfg (AWX's way: the collection comes from the execution environment)."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
import yaml

from sop_runner.awx.collection import build, collection_name
from sop_runner.config import REPO_ROOT
from tests.component.test_gate_matrix import _request, _sign

FQCN = collection_name()
BIN = Path(sys.executable).parent

PLAYBOOK = f"""---
- name: Free disk space, every plugin by its collection name (SOP 6.1 step 5)
  hosts: all
  gather_facts: false
  tasks:
    - name: Refuse to go on without an approved request
      {FQCN}.sop_gate:
        procedure: "6.1"
        step: 5
      run_once: true

    - name: Read the load (a module that imports the collection's module_utils)
      {FQCN}.resource_sample_info:
        path: /
      register: load

    - name: Remove the old files
      ansible.builtin.file:
        path: "{{{{ sop_params.cleanup_path }}}}/old.log"
        state: absent
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Build the collection once, install it into a folder of its own; return the
    tarball and the collections folder."""
    folder = tmp_path_factory.mktemp("collection")
    tarball = build(folder / "build")
    done = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "install", str(tarball), "-p", str(folder)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return tarball, folder


def _ansible(collections: Path, tmp: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """Run an Ansible command that knows nothing of the repository but the collection."""
    config = tmp / "ansible.cfg"
    config.write_text(f"[defaults]\ncollections_path = {collections}\n")
    env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", "ANSIBLE_CONFIG": str(config)}
    return subprocess.run(
        list(argv), cwd=tmp, capture_output=True, text=True, env=env, timeout=300, check=False
    )


def test_the_tarball_holds_the_collection_and_nothing_else(installed):
    tarball, _ = installed
    with tarfile.open(tarball) as archive:
        names = archive.getnames()
    assert "plugins/modules/sop_gate.py" in names
    assert "plugins/action/sop_gate.py" in names
    assert "plugins/module_utils/sop_restic.py" in names
    assert "roles/web_config/tasks/main.yml" in names
    assert "meta/runtime.yml" in names
    for name in names:
        assert not name.startswith((".venv", "tests", "bench", "library", "playbooks")), name
        assert "__pycache__" not in name, name


def test_the_modules_document_themselves_by_collection_name(installed, tmp_path):
    _, collections = installed
    shown = _ansible(collections, tmp_path, "ansible-doc", f"{FQCN}.restic_backup")
    assert shown.returncode == 0, shown.stderr
    assert "repository" in shown.stdout  # from the restic doc fragment, by collection name


def test_a_gated_playbook_runs_with_fully_qualified_names(
    installed, sqlite_sop_env, old_file, tmp_path
):
    sop_env = sqlite_sop_env  # one store is enough: the gate's store code is not under test
    _, collections = installed
    playbook = tmp_path / "repair.yml"
    playbook.write_text(PLAYBOOK)
    inventory = str(sop_env.ctx().settings.inventory / "hosts.yml")

    def play(request_id: int) -> subprocess.CompletedProcess[str]:
        params = tmp_path / "params.yml"
        params.write_text(
            yaml.safe_dump(
                {
                    "sop_request": request_id,
                    "sop_params": {"cleanup_path": str(old_file.parent), "max_age_days": 30},
                }
            )
        )
        argv = ["ansible-playbook", "-i", inventory, "-l", "ctl1", str(playbook)]
        return _ansible(collections, tmp_path, *argv, "-e", f"@{params}")

    request_id = _request(sop_env, old_file)
    refused = play(request_id)
    assert refused.returncode != 0 and "persetujuan" in refused.stdout, refused.stdout
    assert old_file.exists(), "the collection's gate let an unapproved play through"
    _sign(sop_env, request_id, "sari")
    passed = play(request_id)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert not old_file.exists()


def test_make_collection_builds_into_build_dir(tmp_path):
    started = time.monotonic()
    done = subprocess.run(
        ["make", "-s", "collection", f"COLLECTION_DIR={tmp_path}"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert Path(done.stdout.strip().splitlines()[-1]).is_file()
    assert time.monotonic() - started < 60
