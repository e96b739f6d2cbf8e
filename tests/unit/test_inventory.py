"""The inventory is read the way Ansible reads it: YAML or INI, host_vars/ and group_vars/."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner.errors import SopError
from sop_runner.inventory import inventory_source, load_inventory


def _yaml_inventory(root: Path) -> Path:
    (root / "hosts.yml").write_text(
        "all:\n  children:\n    servers:\n      hosts:\n        srv1: {ansible_host: 10.0.0.1}\n"
        "        srv2:\n    firewalls:\n      hosts:\n        gw:\n"
    )
    (root / "host_vars").mkdir()
    (root / "host_vars" / "srv2.yml").write_text("ansible_host: 10.0.0.2\nrole_note: archive\n")
    (root / "group_vars").mkdir()
    (root / "group_vars" / "servers.yml").write_text("backup_paths: [/srv, /etc]\n")
    (root / "services.yml").write_text(
        "services:\n  - {name: arsip, opd: Diskominfo, criticality: critical, hosts: [srv2]}\n"
    )
    return root


def test_yaml_inventory_with_host_and_group_vars_directories(tmp_path: Path) -> None:
    inventory = load_inventory(_yaml_inventory(tmp_path))
    assert inventory.hosts == {"srv1", "srv2", "gw"}
    assert inventory.groups["servers"] == {"srv1", "srv2"}
    assert inventory.resolve_targets(["servers", "gw"]) == ["gw", "srv1", "srv2"]
    srv2 = inventory.host_vars("srv2")
    assert srv2["ansible_host"] == "10.0.0.2" and srv2["role_note"] == "archive"
    assert srv2["backup_paths"] == ["/srv", "/etc"]
    assert "backup_paths" not in inventory.host_vars("gw")
    assert [s.name for s in inventory.services] == ["arsip"]


def test_ini_inventory(tmp_path: Path) -> None:
    ini = tmp_path / "hosts.ini"
    ini.write_text("[servers]\nsrv1 ansible_host=10.0.0.1\n\n[firewalls]\ngw\n")
    inventory = load_inventory(ini)
    assert inventory.groups["firewalls"] == {"gw"}
    assert inventory.host_vars("srv1")["ansible_host"] == "10.0.0.1"


def test_a_directory_with_hosts_yml_means_that_file(tmp_path: Path) -> None:
    _yaml_inventory(tmp_path)
    assert inventory_source(tmp_path) == tmp_path / "hosts.yml"


def test_unknown_target_and_host_are_one_line(tmp_path: Path) -> None:
    inventory = load_inventory(_yaml_inventory(tmp_path))
    with pytest.raises(SopError, match="'db9' bukan host atau grup"):
        inventory.resolve_targets(["db9"])
    with pytest.raises(SopError, match="'db9' bukan host inventaris"):
        inventory.host_vars("db9")


def test_broken_yaml_inventory_is_refused_not_ignored(tmp_path: Path) -> None:
    (tmp_path / "hosts.yml").write_text("all: [unclosed\n")
    with pytest.raises(SopError, match="bukan YAML yang sah"):
        load_inventory(tmp_path)


def test_missing_inventory(tmp_path: Path) -> None:
    with pytest.raises(SopError, match="tidak ditemukan; atur SOP_INVENTORY"):
        load_inventory(tmp_path / "nowhere")
