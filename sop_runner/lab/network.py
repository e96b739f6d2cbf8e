"""The lab's networks: a management bridge, one namespace per host, the gateway's nftables."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from sop_runner.lab import plan
from sop_runner.lab.proc import in_netns, ip, run

NFT_RULESET = f"""\
# sop-lab gateway: forwarded new connections are dropped unless a grant allows them.
table {plan.NFT_FAMILY} {plan.NFT_TABLE} {{
    set {plan.NFT_GRANT_SET} {{
        type ipv4_addr . ipv4_addr . inet_proto . inet_service
        flags timeout
        comment "remote access grants: source . destination . protocol . port"
    }}
    chain {plan.NFT_FORWARD_CHAIN} {{
        type filter hook forward priority filter; policy drop;
        ct state established,related accept
        ct state invalid drop
        ct state new ip saddr . ip daddr . meta l4proto . th dport @{plan.NFT_GRANT_SET} accept
        counter comment "dropped: no grant"
    }}
}}
"""


def existing_netns() -> list[str]:
    """Given the machine, return the names of the lab's network namespaces that exist now."""
    out = ip("netns", "list", check=False).stdout
    names = [line.split()[0] for line in out.splitlines() if line.strip()]
    return [n for n in names if n.startswith(plan.NETNS_PREFIX)]


def _sysctl(netns: str, key: str, value: str) -> None:
    """Given a namespace, a sysctl key and a value, return nothing once it is set there."""
    in_netns(netns, "sysctl", "-qw", f"{key}={value}")


def _add_host_ns(netns: str) -> None:
    ip("netns", "add", netns)
    ip("-n", netns, "link", "set", "lo", "up")


def _link(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    """Given two (namespace, interface, address/prefix) ends, return once a veth joins them."""
    (ns_a, if_a, _), (ns_b, if_b, _) = a, b
    ip("link", "add", if_a, "netns", ns_a, "type", "veth", "peer", "name", if_b, "netns", ns_b)
    for netns, name, address in (a, b):
        ip("-n", netns, "addr", "add", address, "dev", name)
        ip("-n", netns, "link", "set", name, "up")


def setup() -> None:
    """Given a machine without the lab's networks, return once they all exist and are up."""
    ip("link", "add", plan.BRIDGE, "type", "bridge")
    ip("addr", "add", f"{plan.CONTROLLER_ADDR}/24", "dev", plan.BRIDGE)
    ip("link", "set", plan.BRIDGE, "up")
    for h in plan.HOSTS:
        _add_host_ns(h.netns)
        ip("link", "add", h.veth, "type", "veth", "peer", "name", "eth0", "netns", h.netns)
        ip("link", "set", h.veth, "master", plan.BRIDGE, "up")
        ip("-n", h.netns, "addr", "add", f"{h.address}/24", "dev", "eth0")
        ip("-n", h.netns, "link", "set", "eth0", "up")
        _sysctl(h.netns, "net.ipv6.conf.all.disable_ipv6", "1")
    # ext: the remote users' network behind gw.
    _add_host_ns(plan.EXT_NETNS)
    gw, rtr1 = plan.host("gw"), plan.host("rtr1")
    _link(
        (plan.EXT_NETNS, "eth0", f"{plan.EXT_ADDR}/24"),
        (gw.netns, "eth1", f"{plan.GW_EXT_ADDR}/24"),
    )
    ip("-n", plan.EXT_NETNS, "route", "add", plan.MGMT_NET, "via", plan.GW_EXT_ADDR)
    # transit link rtr1 eth1 <-> gw eth2.
    _link(
        (rtr1.netns, "eth1", f"{plan.RTR1_TRANSIT_ADDR}/30"),
        (gw.netns, "eth2", f"{plan.GW_TRANSIT_ADDR}/30"),
    )
    # srv1 (and srv2) reach ext only through gw; no host gets a default route.
    for name in ("srv1", "srv2"):
        ip("-n", plan.host(name).netns, "route", "add", plan.EXT_NET, "via", gw.address)
    _sysctl(gw.netns, "net.ipv4.ip_forward", "1")
    _sysctl(rtr1.netns, "net.ipv4.ip_forward", "1")
    load_gateway_ruleset()


def load_gateway_ruleset() -> None:
    """Given gw's namespace, return once the lab's nftables ruleset is loaded in it."""
    fd, name = tempfile.mkstemp(prefix="sop-lab-nft-", suffix=".nft", dir=plan.RUN_DIR)
    try:
        with os.fdopen(fd, "w") as f:
            f.write(NFT_RULESET)
        in_netns(plan.host("gw").netns, "nft", "-f", name)
    finally:
        Path(name).unlink(missing_ok=True)


def teardown() -> None:
    """Given the lab's networks in any state, return once none of them is left."""
    for ns in existing_netns():
        ip("netns", "del", ns, check=False)
    links = ip("-o", "link", "show", check=False).stdout
    for line in links.splitlines():
        parts = line.split(":", 2)
        if len(parts) < 2:
            continue
        name = parts[1].strip().split("@")[0]
        if name == plan.BRIDGE or name.startswith(plan.VETH_PREFIX):
            ip("link", "del", name, check=False)
    # /run/netns entries left by a crash without a live namespace
    for entry in Path("/run/netns").glob(plan.NETNS_PREFIX + "*"):
        run(["umount", "-l", str(entry)], check=False)
        entry.unlink(missing_ok=True)
