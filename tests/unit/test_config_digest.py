"""The digest a 3.1 approval is bound to: what changes it, and who computes it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config_digest import config_digest
from sop_runner.store.models import Request


@pytest.fixture
def tree(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the repository parts the digest reads: (inventory dir, root)."""
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "roles", root / "roles")
    (root / "playbooks").mkdir()
    shutil.copy(REPO_ROOT / "playbooks" / "config_apply.yml", root / "playbooks")
    inventory = root / "inventory"
    shutil.copytree(REPO_ROOT / "inventory" / "lab", inventory)
    return inventory, root


def test_digest_changes_with_what_decides_the_targets_configuration(tree) -> None:
    inventory, root = tree
    first = config_digest(inventory, ["srv1", "rtr1"], root)
    assert first.startswith("sha256:") and len(first) == 7 + 64
    assert config_digest(inventory, ["rtr1", "srv1", "srv1"], root) == first  # a set of hosts
    # another host's values do not decide srv1's or rtr1's configuration
    srv2 = inventory / "host_vars" / "srv2.yml"
    srv2.write_text(srv2.read_text() + "web_config_keepalive_timeout: 5\n")
    assert config_digest(inventory, ["srv1", "rtr1"], root) == first
    # a target's value does
    srv1 = inventory / "host_vars" / "srv1.yml"
    original = srv1.read_text()
    srv1.write_text(original.replace("keepalive_timeout: 65", "keepalive_timeout: 30"))
    edited = config_digest(inventory, ["srv1", "rtr1"], root)
    assert edited != first
    srv1.write_text(original)
    assert config_digest(inventory, ["srv1", "rtr1"], root) == first
    # so do a template, the playbook, group_vars, and a host_vars file appearing
    template = root / "roles/web_config/templates/etc/nginx/nginx.conf.j2"
    template.write_text(template.read_text() + "# edited\n")
    assert config_digest(inventory, ["srv1", "rtr1"], root) != first
    before = config_digest(inventory, ["srv1"], root)
    playbook = root / "playbooks" / "config_apply.yml"
    playbook.write_text(playbook.read_text() + "# edited\n")
    assert config_digest(inventory, ["srv1"], root) != before
    (inventory / "group_vars").mkdir()
    before = config_digest(inventory, ["srv1"], root)
    (inventory / "group_vars" / "all.yml").write_text("frr_config_revert_in: 5\n")
    assert config_digest(inventory, ["srv1"], root) != before
    before = config_digest(inventory, ["newhost"], root)
    (inventory / "host_vars" / "newhost.yml").write_text("web_config_managed: true\n")
    assert config_digest(inventory, ["newhost"], root) != before


def test_the_lookup_computes_the_same_digest_as_sop_request() -> None:
    inventory = REPO_ROOT / "inventory" / "lab"
    expected = config_digest(inventory, ["srv1", "rtr1"])
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ lookup('sop_config_digest', ['rtr1', 'srv1'], inventory_dir='"
            + str(inventory)
            + "') }}",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f'"msg": "{expected}"' in out.stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sop_request_fixes_the_digest_and_refuses_one_typed_in(sop_env, monkeypatch) -> None:
    monkeypatch.setenv("SOP_INVENTORY", str(REPO_ROOT / "inventory" / "lab"))
    args = ["request", "3.1", "--target", "srv1", "--param", "config_ref=pr-1", "--reason", "x"]
    typed = sop_env.sop(*args, "--param", "config_digest=sha256:00", operator="budi")
    assert typed.returncode == 2 and "config_digest" in typed.stderr
    assert "Traceback" not in typed.stderr
    with sop_env.ctx().session() as session:
        assert session.scalar(select(func.count()).select_from(Request)) == 0
    made = sop_env.sop(*args, operator="budi")
    assert made.returncode == 0, made.stderr
    with sop_env.ctx().session() as session:
        request = session.scalars(select(Request)).one()
        assert request.params["config_digest"] == config_digest(
            REPO_ROOT / "inventory" / "lab", ["srv1"]
        )


def test_the_lookup_documentation_renders() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "lookup", "sop_config_digest"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "config_digest" in out.stdout and "inventory_dir" in out.stdout
