"""The digest a 3.1 approval is bound to: what changes it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config.digest import config_digest


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
