"""The light bench lab's plan (sop_runner/lab/light.py): names, addresses, inventory.

Bringing it up is the 50-host bench's business (bench/run_overhead.py), never the suite's.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import pytest
import yaml

from sop_runner.lab import light, plan


def test_fifty_hosts_have_their_own_names_and_addresses_apart_from_the_test_lab():
    hosts = light.plan(50)
    assert [h.name for h in hosts[:2]] == ["b50-01", "b50-02"] and hosts[-1].name == "b50-50"
    assert len({h.name for h in hosts}) == len({h.address for h in hosts}) == 50
    assert len({h.netns for h in hosts}) == len({h.veth for h in hosts}) == 50
    net = ipaddress.ip_network(f"{light.NET_PREFIX}.0/24")
    addresses = [ipaddress.ip_address(h.address) for h in hosts]
    assert all(a in net for a in addresses)
    assert ipaddress.ip_address(light.CONTROLLER_ADDR) not in addresses
    # The test lab's teardown removes soplab-*/sl-* and 10.77.*: none of it is ours.
    assert not ipaddress.ip_network(plan.MGMT_NET).overlaps(net)
    assert not any(h.netns.startswith(plan.NETNS_PREFIX) for h in hosts)
    assert not any(h.veth.startswith(plan.VETH_PREFIX) for h in hosts)
    assert light.BRIDGE != plan.BRIDGE
    # Interface names fit the kernel's 15 characters.
    assert all(len(h.veth) <= 15 for h in hosts) and len(light.BRIDGE) <= 15


@pytest.mark.parametrize("count", [0, -1, light.MAX_HOSTS + 1])
def test_a_count_out_of_range_is_refused(count):
    with pytest.raises(ValueError, match="count"):
        light.plan(count)


def test_the_inventory_names_every_host_with_the_bench_key():
    hosts = light.plan(3)
    data = yaml.safe_load(light.inventory_text(hosts, Path("/x/id_ed25519")))
    assert data["all"]["vars"]["ansible_ssh_private_key_file"] == "/x/id_ed25519"
    assert data["all"]["hosts"] == {h.name: {"ansible_host": h.address} for h in hosts}


def test_each_sshd_listens_on_its_own_address_with_its_own_pid_file():
    folder = Path("/x")
    one, two = light.plan(2)
    a, b = light.sshd_config(folder, one), light.sshd_config(folder, two)
    assert f"ListenAddress {one.address}\n" in a and f"ListenAddress {two.address}\n" in b
    assert "PidFile /x/b50-01.pid" in a and "PidFile /x/b50-02.pid" in b
    assert "UsePAM no" in a and "PasswordAuthentication no" in a
