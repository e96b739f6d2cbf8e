"""A plain YAML inventory's hosts and groups read without Ansible are Ansible's own (issue 17,
`sop status` start-up); what only Ansible reads is left to it."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.inventory import _read_with_ansible, load_inventory
from sop_runner.inventory_names import read_names
from tests.support.sop import write_inventory

NESTED = """
all:
  vars: {ansible_user: root}
  hosts:
    lonely:
  children:
    servers:
      hosts:
        srv1: {ansible_host: 10.0.0.1}
        srv2:
      children:
        databases:
          hosts:
            db1:
    databases:
      hosts:
        db2:
    network:
      children:
        routers:
          hosts:
            rtr1:
        empty:
    servers_too:
      hosts:
        srv1:
other:
  hosts:
    outside:
"""


def _sources(tmp_path: Path) -> list[Path]:
    nested = tmp_path / "nested.yml"
    nested.write_text(NESTED)
    return [
        REPO_ROOT / "inventory" / "lab" / "hosts.yml",
        write_inventory(tmp_path / "local") / "hosts.yml",
        nested,
    ]


def test_the_names_are_those_ansible_reads(tmp_path):
    for source in _sources(tmp_path):
        hosts, groups, _ = _read_with_ansible(source)
        assert read_names(source) == (hosts, groups), source


@pytest.mark.parametrize(
    "text",
    [
        "all:\n  hosts:\n    web[01:03]:\n",  # a range Ansible expands
        "plugin: constructed\n",  # an inventory plugin's configuration
        "all:\n  hosts: [a, b]\n",  # not Ansible's YAML inventory form
        "all:\n  weird: {}\n",
    ],
)
def test_what_only_ansible_reads_is_left_to_it(tmp_path, text):
    source = tmp_path / "hosts.yml"
    source.write_text(text)
    assert read_names(source) is None


def test_an_ini_inventory_is_left_to_ansible(tmp_path):
    source = tmp_path / "hosts"
    source.write_text("[servers]\nsrv1\n")
    assert read_names(source) is None
    inventory = load_inventory(source, variables=False)
    assert inventory.hosts == {"srv1"}


def test_without_variables_the_inventory_has_the_same_names_and_services():
    full = load_inventory(REPO_ROOT / "inventory" / "lab")
    names = load_inventory(REPO_ROOT / "inventory" / "lab", variables=False)
    assert (names.hosts, names.groups, names.services) == (full.hosts, full.groups, full.services)
    assert names.site == full.site
