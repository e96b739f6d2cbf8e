"""The register as the lab's inventory (issue 18): the lab's hosts are discovered from their
real Ansible facts; the `sop_register` inventory plugin then yields the same hosts and the
same groups as inventory/lab/hosts.yml; and SOP 6.1 runs on srv1 from that inventory."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures import register
from sop_runner.procedures.register.discovery import discover
from sop_runner.store.models import Run
from tests.component.test_register_inventory import ENV, plain
from tests.support.lab import LAB_INVENTORY, LAB_INVENTORY_DIR
from tests.support.sop import ok

pytestmark = pytest.mark.lab

CLEANUP = "/var/tmp/sop-18-register"


def _register_inventory(folder: Path, db_url: str) -> Path:
    """Given a folder, write the register's inventory there: the plugin's configuration and,
    beside it, the lab's variables that are not the register's (group_vars, host_vars)."""
    lab = yaml.safe_load(LAB_INVENTORY.read_text())
    (folder / "group_vars").mkdir(parents=True)
    (folder / "group_vars" / "all.yml").write_text(yaml.safe_dump(lab["all"]["vars"]))
    shutil.copytree(LAB_INVENTORY_DIR / "host_vars", folder / "host_vars")
    for group in lab["all"]["children"].values():
        for host, variables in (group.get("hosts") or {}).items():
            own = {k: v for k, v in (variables or {}).items() if k != "ansible_host"}
            path = folder / "host_vars" / f"{host}.yml"
            known = yaml.safe_load(path.read_text()) if path.exists() else {}
            path.write_text(yaml.safe_dump({**(known or {}), **own}))
    shutil.copy(LAB_INVENTORY_DIR / "services.yml", folder / "services.yml")
    config = folder / "sop_register.yml"
    config.write_text(f"plugin: sop_register\ndb_url: {db_url}\n")
    return config


def _graph(source: Path) -> tuple[dict[str, set[str]], dict[str, dict]]:
    """Given an inventory source, return its groups' hosts and its hosts' variables."""
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-inventory"), "-i", str(source), "--list"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
        env=ENV,
    )
    assert listed.returncode == 0, listed.stderr
    data = plain(json.loads(listed.stdout))
    groups: dict[str, set[str]] = {}

    def members(name: str) -> set[str]:
        if name not in groups:
            entry = data.get(name, {})
            groups[name] = set(entry.get("hosts", []))
            for child in entry.get("children", []):
                groups[name] |= members(child)
        return groups[name]

    for name in data:
        if name != "_meta":
            members(name)
    return groups, data["_meta"]["hostvars"]


def test_lab_hosts_are_discovered_and_the_register_inventory_runs_a_procedure(
    lab_env, lab, lab_issuer, tmp_path
):
    env = lab_env
    results = lab.ansible("all", "ansible.builtin.setup", "gather_subset=!all,hardware,network")
    facts = {host: r["ansible_facts"] for host, r in results.items() if "ansible_facts" in r}
    lab_groups, lab_vars = _graph(LAB_INVENTORY)
    assert sorted(facts) == sorted(lab_vars), results  # every lab host answered
    groups_of = {h: [g for g, m in lab_groups.items() if h in m] for h in facts}
    ctx = env.ctx()
    with ctx.session() as s:
        changed = discover(s, facts, "budi", groups_of)
    assert all(what[0] == "added" for what in changed.values()), changed
    with ctx.session() as s:
        srv1 = register.device_dict(s, register.get_device(s, "srv1"))
    assert {"address": "10.77.1.11/24", "interface": "eth0", "dns_name": ""} in srv1["addresses"]
    assert srv1["spec"]["memory_mb"] > 0 and srv1["interfaces"][0]["mac"]

    config = _register_inventory(tmp_path / "register-inventory", env.db_url)
    groups, host_vars = _graph(config)
    assert sorted(host_vars) == sorted(lab_vars)
    for name, hosts in lab_groups.items():
        assert groups.get(name) == hosts, name  # servers, firewalls, backup_hosts, …
    for host, variables in lab_vars.items():
        assert host_vars[host]["ansible_host"] == variables["ansible_host"], host

    # SOP 6.1 on srv1, its hosts and address from the register's inventory.
    lab.ssh("srv1", f"rm -rf {CLEANUP} && mkdir -p {CLEANUP} && touch -d '40 days ago' "
            f"{CLEANUP}/old.log")  # fmt: skip
    env.use_inventory(config)
    ok(env.sop(
        "request", "6.1", "--target", "srv1", "--param", f"cleanup_path={CLEANUP}",
        "--param", "max_age_days=30", "--reason", "uji inventaris dari buku daftar",
        operator="budi",
    ))  # fmt: skip
    ok(env.sop("approve", "1", operator="sari"))
    ok(env.sop(
        "run", "1", "--confirm", "2=beban normal", "--confirm", "3=terkirim",
        "--confirm", "4=tidak ada masalah", "--confirm", "6=laporan", operator="budi",
    ))  # fmt: skip
    assert lab.ssh("srv1", f"test -e {CLEANUP}/old.log", check=False).returncode == 1
    with env.ctx().session() as s:
        assert s.scalars(select(Run)).one().status == "succeeded"
