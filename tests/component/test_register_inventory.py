"""The register as Ansible's inventory (issue 18): the `sop_register` inventory plugin
documents itself, yields the register's hosts with their groups (procedure groups, role,
rack, OPD) and host variables; discovery fills the register from real Ansible facts (of
this machine, gathered by `ansible -m setup`)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.procedures import register
from sop_runner.procedures.register.discovery import discover, load_facts
from sop_runner.store import session_scope

BIN = Path(sys.executable).parent
ENV = {**os.environ, "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg")}


def _ansible(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / args[0]), *args[1:]],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=REPO_ROOT,
        env=ENV,
    )


def plain(value):
    """Given a value `ansible-inventory --list` printed, return it without the unsafe marks
    (the register's values are data, never templated: Ansible tags them so)."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def test_the_inventory_plugin_documents_itself():
    result = _ansible("ansible-doc", "-t", "inventory", "sop_register")
    assert result.returncode == 0, result.stderr
    for words in ("OPTIONS", "EXAMPLES", "role_groups", "db_url", "keyed_groups"):
        assert words in result.stdout, words


@pytest.fixture
def facts(tmp_path: Path) -> Path:
    """This machine's real Ansible facts, one file (as `ansible -m setup --tree` writes)."""
    tree = tmp_path / "facts"
    result = _ansible(
        "ansible", "-i", "ctl1,", "-c", "local",
        "-e", f"ansible_python_interpreter={sys.executable}", "ctl1",
        "-m", "ansible.builtin.setup", "-a", "gather_subset=!all,hardware,network",
        "--tree", str(tree),
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return tree


def test_discovery_fills_the_register_and_the_plugin_yields_it(tmp_path: Path, facts: Path):
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    found = load_facts(facts)
    assert list(found) == ["ctl1"]
    with session_scope(url) as s:
        register.add_room(s, "server-farm", "server_farm", "budi")
        register.add_rack(s, "R01", "server-farm", "budi")
        changed = discover(s, found, "budi", {"ctl1": ["servers"]})
        register.update_device(s, "ctl1", "budi", owner="Diskominfo", code="DKI-CTL-01")
        register.place_device(s, "ctl1", "budi", rack="R01", position=10)
        register.add_device(s, "ac1", "budi", kind="ac", owner="Diskominfo")  # a facility
        register.add_device(s, "fw9", "budi", kind="firewall", status="received")  # not yet in
        again = discover(s, found, "budi")
    assert changed["ctl1"][0] == "added" and "spec" in changed["ctl1"]
    assert again["ctl1"] == []  # the same facts change nothing the second time
    with session_scope(url) as s:
        ctl1 = register.device_dict(s, register.get_device(s, "ctl1"))
    assert ctl1["kind"] == "server" and ctl1["spec"]["memory_mb"] > 0
    assert ctl1["spec"]["cpu_count"] >= 1 and ctl1["interfaces"]
    config = tmp_path / "inv" / "sop_register.yml"
    config.parent.mkdir()
    config.write_text(f"plugin: sop_register\ndb_url: {url}\n")
    listed = _ansible("ansible-inventory", "-i", str(config), "--list")
    assert listed.returncode == 0, listed.stderr
    inventory = plain(json.loads(listed.stdout))
    hosts = inventory["_meta"]["hostvars"]
    assert sorted(hosts) == ["ctl1"]  # not the AC (a facility), not fw9 (still received)
    assert hosts["ctl1"]["sop_register"]["code"] == "DKI-CTL-01"
    if ctl1["addresses"]:
        assert hosts["ctl1"]["ansible_host"] == ctl1["addresses"][0]["address"].split("/")[0]
    for group in ("servers", "role_server", "rack_r01", "opd_diskominfo"):
        assert inventory[group]["hosts"] == ["ctl1"], group


def test_sop_itself_reads_the_register_inventory(tmp_path: Path):
    """`sop` loads its inventory in-process (sop_runner/inventory.py), not through the
    ansible CLI: the plugin's documentation fragments need Ansible's collection loader."""
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    with session_scope(url) as s:
        register.add_device(s, "srv5", "budi", kind="server")
        register.assign_address(s, "10.9.0.5/24", "srv5", "eth0", "budi")
    config = tmp_path / "sop_register.yml"
    config.write_text(f"plugin: sop_register\ndb_url: {url}\n")
    code = (
        "import sys; from pathlib import Path; from sop_runner.inventory import load_inventory;"
        "inv = load_inventory(Path(sys.argv[1]));"
        "print(sorted(inv.hosts), sorted(inv.groups['servers']), inv.host_vars('srv5')"
        "['ansible_host'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(config)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "['srv5'] ['srv5'] 10.9.0.5", result.stdout
