"""SOP 6.2's security anomalies: what listens or is accepted that nothing explains, and
firewall rules changed outside `sop`.

Pure functions over what ``playbooks/network_monitor.yml`` hands back: the lines of
``ss -H -ltnu`` of every host and, on a firewall, ``nft -j list ruleset``.  A port
is explained by a service of the register (``services.yml``: its host and port),
by a live SOP 2.4 grant to that host, or by the host's own management ports
(``monitoring_allowed_ports`` in the inventory: sshd, node_exporter).  Ports bound
to the loopback only are not reachable from the network and are not judged.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from typing import Any

_SS = re.compile(r"^(?P<proto>tcp|udp)\s+\S+\s+\d+\s+\d+\s+(?P<local>\S+):(?P<port>\d+|\*)\s")


def listening_ports(lines: Iterable[str]) -> list[tuple[str, str, int]]:
    """Given lines of `ss -H -ltnu`, return (protocol, address, port) of every listening
    socket reachable from outside the host (loopback-only ones left out), sorted."""
    found = set()
    for line in lines:
        match = _SS.match(line.strip())
        if not match or match["port"] == "*":
            continue
        address = match["local"].strip("[]").split("%")[0]
        if address.startswith("127.") or address == "::1":
            continue
        found.add((match["proto"], address, int(match["port"])))
    return sorted(found)


def _ports_of(expr: Any) -> list[int]:
    """Given the right side of an nft JSON match, return the ports it names."""
    if isinstance(expr, int):
        return [expr]
    if isinstance(expr, dict) and "set" in expr:
        return [p for item in expr["set"] for p in _ports_of(item)]
    if isinstance(expr, dict) and "range" in expr and len(expr["range"]) == 2:
        low, high = expr["range"]
        return list(range(int(low), int(high) + 1)) if high - low < 1024 else [int(low)]
    return []


def accepted_ports(ruleset: dict[str, Any]) -> list[tuple[str, int]]:
    """Given `nft -j list ruleset`, return (protocol, port) of every rule that accepts a
    literal destination port (a rule matching a named set, like the grants, names none)."""
    found = set()
    for item in ruleset.get("nftables", []):
        rule = item.get("rule")
        if not rule:
            continue
        expressions = rule.get("expr", [])
        if not any("accept" in e for e in expressions):
            continue
        for e in expressions:
            match = e.get("match", {})
            payload = match.get("left", {}).get("payload", {})
            if payload.get("field") == "dport" and match.get("op") in ("==", "in"):
                for port in _ports_of(match.get("right")):
                    found.add((str(payload.get("protocol", "tcp")), port))
    return sorted(found)


def ruleset_digest(ruleset: dict[str, Any]) -> str:
    """Given `nft -j list ruleset`, return the SHA-256 of its rules and chains, without the
    elements of sets (the grants of SOP 2.4 come and go there, by `sop`) nor handles."""

    def clean(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: clean(v) for k, v in value.items() if k not in ("handle", "elem")}
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    items = [i for i in ruleset.get("nftables", []) if "metainfo" not in i]
    return hashlib.sha256(json.dumps(clean(items), sort_keys=True).encode()).hexdigest()


def unexplained(
    host: str,
    listening: list[tuple[str, str, int]],
    services: list[dict[str, Any]],
    grant_ports: set[int],
    allowed: set[int],
) -> list[tuple[str, str, int]]:
    """Given a host's listening sockets, the register's services, the ports live grants
    open to it and its management ports, return the sockets nothing explains."""
    served = {int(s["port"]) for s in services if host in (s.get("hosts") or []) and s.get("port")}
    known = served | grant_ports | allowed
    return [(proto, address, port) for proto, address, port in listening if port not in known]
