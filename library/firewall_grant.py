#!/usr/bin/python
"""Open, extend and close time-limited port grants on a firewall (SOP 2.4)."""

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewall_grant
short_description: Time-limited remote access grants on a firewall (SOP 2.4)
description:
  - Makes the grants of remote users on a firewall what is asked for. A grant
    lets one source address (or network) reach one port of one destination
    until an absolute end time; the firewall itself closes the port at that
    time, so nothing has to be running on the controller for it to close.
  - "Backend C(nftables): each grant is an element C(source . destination . port)
    (or C(source . destination . protocol . port) when the set type holds
    C(inet_proto)) of a set with C(flags timeout), matched by the forward
    chain. The kernel removes the element when its timeout runs out."
  - "Backend C(routeros): each grant is an entry of a firewall address list
    named after destination, protocol and port, with a timeout; one filter rule
    per list (C(chain=forward action=accept)) lets that list through. RouterOS
    removes the entry when its timeout runs out. Driven through the RouterOS
    API with the C(librouteros) library, from the controller."
  - Ports 21, 53, 80, 443 and 3306 are never granted (SOP 2.4 narrative step 1),
    nor port 0 or ports above 65535.
  - Idempotent. A grant already there whose time left is within O(tolerance)
    seconds of the asked end is left alone; otherwise it is replaced in one
    atomic change (nftables) or its timeout is set (RouterOS).
version_added: "0.1.0"
options:
  backend:
    description: Which kind of firewall this is.
    type: str
    required: true
    choices: [nftables, routeros]
  state:
    description:
      - V(present) makes every grant of O(grants) exist with its end time.
      - V(absent) removes every grant of O(grants) (end times are ignored).
      - V(query) changes nothing and returns the grants on the firewall.
    type: str
    default: present
    choices: [present, absent, query]
  exclusive:
    description:
      - With O(state=present), also remove every grant on the firewall that
        O(grants) does not list (reconciliation with the records).
    type: bool
    default: false
  grants:
    description: The grants to act on.
    type: list
    elements: dict
    default: []
    suboptions:
      source:
        description:
          - The remote user's IPv4 address or network (C(10.77.2.10), C(10.77.2.0/24)).
          - A network needs a set with C(flags interval) (nftables).
        type: str
        required: true
      destination:
        description: The IPv4 address of the target server.
        type: str
        required: true
      port:
        description: The destination port (1-65535, not 21, 53, 80, 443, 3306).
        type: int
        required: true
      protocol:
        description: The transport protocol.
        type: str
        default: tcp
        choices: [tcp, udp]
      expires_at:
        description:
          - The end of the grant as seconds since the epoch (UTC). Required with
            O(state=present). The timeout given to the firewall is rounded up to
            the millisecond, so the port never closes before this end.
          - A grant with less than one second left when the module runs is not put
            on the firewall (and is removed if there) and is returned in RV(ended).
        type: float
  tolerance:
    description:
      - Seconds by which the time left may differ from the asked end and still count as unchanged.
    type: int
    default: 5
  nft_family:
    description: nftables table family.
    type: str
    default: inet
  nft_table:
    description: nftables table that holds the grant set.
    type: str
    default: sop
  nft_set:
    description: nftables set of grants (for TCP, and for UDP unless O(nft_udp_set) is given).
    type: str
    default: grants
  nft_udp_set:
    description: nftables set for UDP grants, when UDP grants are kept apart.
    type: str
  ros_host:
    description: RouterOS API address (backend routeros).
    type: str
  ros_port:
    description: RouterOS API port.
    type: int
    default: 8728
  ros_username:
    description: RouterOS API user.
    type: str
  ros_password:
    description: RouterOS API password.
    type: str
  ros_chain:
    description: RouterOS filter chain of the accept rules.
    type: str
    default: forward
  ros_list_prefix:
    description: Prefix of the address lists (and rule comments) this module owns.
    type: str
    default: sop-grant
notes:
  - Supports check mode and diff mode.
  - With nftables the module runs on the firewall and calls C(nft).
  - "With RouterOS run it on the controller (C(delegate_to: localhost)); it needs C(librouteros)."
  - When the nftables set has no protocol in its type and no O(nft_udp_set) is
    given, a TCP grant and a UDP grant for the same source, destination and port
    are the same element (the chain then matches both protocols).
author:
  - sop-pusatdata developers
"""

EXAMPLES = r"""
- name: Open port 22 of srv1 to a remote user for 60 minutes
  firewall_grant:
    backend: nftables
    nft_table: sop
    nft_set: grants
    grants:
      - source: 10.77.2.10
        destination: 10.77.1.11
        port: 22
        protocol: tcp
        expires_at: "{{ now(utc=true).timestamp() + 3600 }}"

- name: Close it again at once
  firewall_grant:
    backend: nftables
    state: absent
    grants:
      - {source: 10.77.2.10, destination: 10.77.1.11, port: 22}

- name: Keep exactly the recorded grants on a MikroTik router
  firewall_grant:
    backend: routeros
    ros_host: 192.0.2.1
    ros_username: sop
    ros_password: "{{ ros_password }}"
    exclusive: true
    grants: "{{ recorded_grants }}"
  delegate_to: localhost
"""

RETURN = r"""
grants:
  description:
    - The grants on the firewall after the run (as they are, in check mode), with seconds left.
  returned: always
  type: list
  elements: dict
  sample:
    - {source: 10.77.2.10, destination: 10.77.1.11, port: 22, protocol: tcp, seconds_left: 3597}
added:
  description: Grants that were (or in check mode would be) added.
  returned: always
  type: list
  elements: dict
updated:
  description: Grants whose end time was (or would be) changed.
  returned: always
  type: list
  elements: dict
removed:
  description: Grants that were (or would be) removed.
  returned: always
  type: list
  elements: dict
ended:
  description:
    - Grants asked for with O(state=present) whose end had come (less than one second
      left) when the module ran; none of them is on the firewall afterwards.
  returned: always
  type: list
  elements: dict
"""

import ipaddress  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import re  # noqa: E402
import time  # noqa: E402
from typing import Any  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402

FORBIDDEN_PORTS = (21, 53, 80, 443, 3306)
PROTOCOLS = ("tcp", "udp")
# Less time left than this and a grant is not put on the firewall (sop's grant_policy
# keeps the same minimum); 9999-12-31T23:59:59Z is the last end anyone can mean.
MIN_LEFT_SECONDS = 1.0
LAST_END = 253402300799.0

# A grant's identity on the firewall: (source, destination, protocol, port).
# protocol is "*" when the firewall does not tell the protocols apart.
Key = tuple[str, str, str, int]


class GrantError(Exception):
    """A grant that cannot be put on the firewall, or a firewall that cannot be read."""


def normalise_source(text: str) -> str:
    """Given an IPv4 address or network, return it as the firewall shows it (no /32)."""
    try:
        net = ipaddress.IPv4Network(str(text).strip(), strict=False)
    except ValueError:
        raise GrantError(f"source: {text!r} is not an IPv4 address or network") from None
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def check_grant(grant: dict[str, Any], need_end: bool) -> None:
    """Given one grant, raise GrantError if the port, addresses or end are not allowed."""
    port = grant.get("port")
    if not isinstance(port, int) or not 1 <= port <= 65535:
        raise GrantError(f"port: {port!r} is not allowed; allowed: 1-65535")
    if port in FORBIDDEN_PORTS:
        raise GrantError(
            f"port: {port} is never granted for remote access (SOP 2.4: not "
            f"{', '.join(map(str, FORBIDDEN_PORTS))})"
        )
    if grant.get("protocol", "tcp") not in PROTOCOLS:
        raise GrantError(f"protocol: {grant.get('protocol')!r}; allowed: tcp, udp")
    try:
        ipaddress.IPv4Address(str(grant.get("destination")))
    except ValueError:
        raise GrantError(
            f"destination: {grant.get('destination')!r} is not an IPv4 address"
        ) from None
    normalise_source(str(grant.get("source")))
    end = grant.get("expires_at")
    if need_end and (end is None or not math.isfinite(end) or end > LAST_END):
        raise GrantError(f"expires_at: {end!r}; allowed: seconds since the epoch up to {LAST_END}")


def describe(key: Key, seconds: float | None = None) -> dict[str, Any]:
    """Given a key (and the seconds left), return the grant as a plain dict."""
    out: dict[str, Any] = {
        "source": key[0],
        "destination": key[1],
        "protocol": key[2],
        "port": key[3],
    }
    if seconds is not None:
        out["seconds_left"] = round(seconds)
    return out


def line(key: Key, seconds: float | None) -> str:
    """Given a grant, return one line of the diff."""
    left = "" if seconds is None else f" ({round(seconds)} s left)"
    return f"{key[0]} -> {key[1]} {key[2]}/{key[3]}{left}"


class Backend:
    """What every firewall backend does: read the grants, and change them."""

    protocol_aware = True

    def key(self, grant: dict[str, Any]) -> Key:
        """Given a grant, return its identity on this firewall."""
        proto = grant.get("protocol") or "tcp"
        return (
            normalise_source(grant["source"]),
            str(grant["destination"]),
            proto if self.protocol_aware else "*",
            int(grant["port"]),
        )

    def read(self) -> dict[Key, float | None]:
        """Return {key: seconds left (None when it never expires)}."""
        raise NotImplementedError

    def apply(
        self,
        add: list[tuple[Key, int]],
        update: list[tuple[Key, int]],
        remove: list[Key],
    ) -> None:
        """Given timeouts in milliseconds, make the changes."""
        raise NotImplementedError


class NftBackend(Backend):
    """Grants as elements of nftables sets with flags timeout."""

    def __init__(self, module: AnsibleModule) -> None:
        self.module = module
        self.family = module.params["nft_family"]
        self.table = module.params["nft_table"]
        self.tcp_set = module.params["nft_set"]
        self.udp_set = module.params["nft_udp_set"] or self.tcp_set
        self.nft = module.get_bin_path("nft", required=True)
        self.types: dict[str, list[str]] = {}
        self.flags: dict[str, list[str]] = {}
        for name in {self.tcp_set, self.udp_set}:
            info = self._set_json(name)
            kind = info["type"]
            self.types[name] = kind if isinstance(kind, list) else [kind]
            self.flags[name] = list(info.get("flags", []))
            if "timeout" not in self.flags[name]:
                raise GrantError(
                    f"nft set {self.family} {self.table} {name}: has no 'flags timeout'; "
                    "the kernel could not close grants by itself"
                )
        self.protocol_aware = (
            self.udp_set != self.tcp_set or "inet_proto" in self.types[self.tcp_set]
        )
        self._elements: dict[Key, tuple[str, float | None]] = {}

    def _run(self, args: list[str], data: str | None = None) -> str:
        rc, out, err = self.module.run_command([self.nft, *args], data=data)
        if rc != 0:
            raise GrantError(f"nft {' '.join(args)}: {err.strip() or out.strip()}")
        return str(out)

    def _set_json(self, name: str) -> dict[str, Any]:
        out = self._run(["-j", "list", "set", self.family, self.table, name])
        for item in json.loads(out)["nftables"]:
            if "set" in item:
                return dict(item["set"])
        raise GrantError(f"nft set {self.family} {self.table} {name}: not found")

    def _set_of(self, protocol: str) -> str:
        return self.udp_set if protocol == "udp" else self.tcp_set

    def read(self) -> dict[Key, float | None]:
        found: dict[Key, tuple[str, float | None]] = {}
        for name in {self.tcp_set, self.udp_set}:
            info = self._set_json(name)
            with_proto = "inet_proto" in self.types[name]
            for wrapper in info.get("elem", []):
                elem = wrapper.get("elem", wrapper) if isinstance(wrapper, dict) else wrapper
                val = elem.get("val", elem) if isinstance(elem, dict) else elem
                parts = val["concat"] if isinstance(val, dict) else [val]
                src = parts[0]
                if isinstance(src, dict) and "prefix" in src:
                    src = f"{src['prefix']['addr']}/{src['prefix']['len']}"
                if with_proto:
                    proto, port = str(parts[2]), int(parts[3])
                elif self.protocol_aware:
                    proto, port = ("udp" if name == self.udp_set else "tcp"), int(parts[2])
                else:
                    proto, port = "*", int(parts[2])
                left = elem.get("expires") if isinstance(elem, dict) else None
                key = (normalise_source(str(src)), str(parts[1]), proto, port)
                found[key] = (name, float(left) if left is not None else None)
        self._elements = found
        return {k: v[1] for k, v in found.items()}

    def _element(self, key: Key) -> str:
        name = self._set_of(key[2])
        proto = f" . {key[2]}" if "inet_proto" in self.types[name] else ""
        return f"{key[0]} . {key[1]}{proto} . {key[3]}"

    def _check_source(self, key: Key) -> None:
        name = self._set_of(key[2])
        if "/" in key[0] and "interval" not in self.flags[name]:
            raise GrantError(
                f"source: {key[0]} is a network but nft set {self.table} {name} has no "
                "'flags interval'; grant single addresses or add the flag to the set"
            )

    def apply(
        self,
        add: list[tuple[Key, int]],
        update: list[tuple[Key, int]],
        remove: list[Key],
    ) -> None:
        lines = []
        prefix = f"{self.family} {self.table}"
        for key in remove:
            name = self._elements.get(key, (self._set_of(key[2]), None))[0]
            lines.append(f"delete element {prefix} {name} {{ {self._element(key)} }}")
        for key, _ms in update:
            lines.append(
                f"delete element {prefix} {self._set_of(key[2])} {{ {self._element(key)} }}"
            )
        for key, ms in [*update, *add]:
            self._check_source(key)
            lines.append(
                f"add element {prefix} {self._set_of(key[2])} "
                f"{{ {self._element(key)} timeout {max(ms, 1)}ms }}"
            )
        if lines:
            # One transaction: all of it or none of it, with no gap in an update.
            self._run(["-f", "-"], data="\n".join(lines) + "\n")


_ROS_DURATION = re.compile(r"(\d+)(w|d|h|ms|m|s)")
_ROS_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def ros_seconds(text: str) -> float | None:
    """Given a RouterOS duration ("1h2m3s", "00:59:58", "1d02:00:00"), return seconds."""
    text = str(text).strip()
    if not text:
        return None
    if ":" in text:
        days = 0
        if "d" in text:
            day_text, _, text = text.partition("d")
            days = int(day_text)
        h, m, s = (float(x) for x in text.split(":"))
        return days * 86400 + h * 3600 + m * 60 + s
    return float(sum(int(n) * _ROS_UNITS[u] for n, u in _ROS_DURATION.findall(text)))


def ros_duration(ms: int) -> str:
    """Given milliseconds, return a RouterOS duration text."""
    seconds, rest = divmod(max(ms, 1000), 1000)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{hours}h{minutes}m{seconds}s" + (f"{rest}ms" if rest else "")


class RouterOsBackend(Backend):
    """Grants as address-list entries with a timeout, let through by one filter rule per list."""

    def __init__(self, module: AnsibleModule) -> None:
        try:
            from librouteros import connect  # type: ignore[import-not-found]
        except ImportError:
            raise GrantError(
                "backend routeros needs the librouteros library on the controller"
            ) from None
        params = module.params
        for field in ("ros_host", "ros_username", "ros_password"):
            if not params[field]:
                raise GrantError(f"{field}: required with backend routeros")
        try:
            self.api = connect(
                params["ros_host"],
                params["ros_username"],
                params["ros_password"],
                port=params["ros_port"],
                timeout=10,
            )
        except Exception as exc:  # librouteros raises several unrelated types
            raise GrantError(f"RouterOS API {params['ros_host']}: {exc}") from None
        self.prefix = params["ros_list_prefix"]
        self.chain = params["ros_chain"]
        self.lists = self.api.path("ip", "firewall", "address-list")
        self.rules = self.api.path("ip", "firewall", "filter")
        self._ids: dict[Key, str] = {}

    def list_name(self, key: Key) -> str:
        """Given a grant, return the address list that holds its source."""
        return f"{self.prefix}-{key[2]}-{key[1]}-{key[3]}"

    def read(self) -> dict[Key, float | None]:
        found: dict[Key, float | None] = {}
        pattern = re.compile(rf"^{re.escape(self.prefix)}-(tcp|udp)-(\d+\.\d+\.\d+\.\d+)-(\d+)$")
        for row in self.lists:
            match = pattern.match(str(row.get("list", "")))
            if not match:
                continue
            key = (
                normalise_source(str(row["address"])),
                match.group(2),
                match.group(1),
                int(match.group(3)),
            )
            found[key] = ros_seconds(str(row.get("timeout", "")))
            self._ids[key] = str(row[".id"])
        return found

    def _ensure_rule(self, key: Key) -> None:
        name = self.list_name(key)
        comment = f"{self.prefix}:{name}"
        rules = list(self.rules)
        if any(r.get("comment") == comment for r in rules):
            return
        fields: dict[str, Any] = {
            "chain": self.chain,
            "action": "accept",
            "protocol": key[2],
            "dst-address": key[1],
            "dst-port": str(key[3]),
            "src-address-list": name,
            "connection-state": "new",
            "comment": comment,
        }
        in_chain = [r for r in rules if r.get("chain") == self.chain]
        if in_chain:
            fields["place-before"] = str(in_chain[0][".id"])
        self.rules.add(**fields)

    def apply(
        self,
        add: list[tuple[Key, int]],
        update: list[tuple[Key, int]],
        remove: list[Key],
    ) -> None:
        if remove:
            self.lists.remove(*[self._ids[k] for k in remove])
        for key, ms in update:
            self.lists.update(**{".id": self._ids[key], "timeout": ros_duration(ms)})
        for key, ms in add:
            self._ensure_rule(key)
            self.lists.add(
                list=self.list_name(key),
                address=key[0],
                timeout=ros_duration(ms),
                comment=f"{self.prefix} {line(key, None)}",
            )


def plan(
    current: dict[Key, float | None],
    wanted: dict[Key, float | None],
    state: str,
    exclusive: bool,
    tolerance: int,
    now: float,
) -> tuple[list[tuple[Key, int]], list[tuple[Key, int]], list[Key], list[Key]]:
    """Given the firewall and the wish (key -> expires_at), return (add, update, remove,
    ended): ended are the wished grants whose end has come (not added, removed if there).

    Timeouts are in milliseconds from ``now``, rounded up: never before the end.
    """
    add: list[tuple[Key, int]] = []
    update: list[tuple[Key, int]] = []
    remove: list[Key] = []
    ended: list[Key] = []
    if state == "absent":
        return add, update, [k for k in wanted if k in current], ended
    if state == "query":
        return add, update, remove, ended
    for key, expires_at in wanted.items():
        left = (expires_at or 0) - now
        # One already there with a little time left is left to the kernel: removing
        # it would close the port before its end.
        if left <= 0 or (left < MIN_LEFT_SECONDS and key not in current):
            ended.append(key)
            remove += [key] if key in current else []
        elif key not in current:
            add.append((key, math.ceil(left * 1000)))
        elif current[key] is None or abs(current[key] - left) > tolerance:  # type: ignore[operator]
            update.append((key, math.ceil(left * 1000)))
    if exclusive:
        remove += [k for k in current if k not in wanted]
    return add, update, remove, ended


def main() -> None:
    grant_spec = {
        "source": {"type": "str", "required": True},
        "destination": {"type": "str", "required": True},
        "port": {"type": "int", "required": True},
        "protocol": {"type": "str", "default": "tcp", "choices": list(PROTOCOLS)},
        "expires_at": {"type": "float"},
    }
    module = AnsibleModule(
        argument_spec={
            "backend": {"type": "str", "required": True, "choices": ["nftables", "routeros"]},
            "state": {
                "type": "str",
                "default": "present",
                "choices": ["present", "absent", "query"],
            },
            "exclusive": {"type": "bool", "default": False},
            "grants": {
                "type": "list",
                "elements": "dict",
                "default": [],
                "options": grant_spec,
            },
            "tolerance": {"type": "int", "default": 5},
            "nft_family": {"type": "str", "default": "inet"},
            "nft_table": {"type": "str", "default": "sop"},
            "nft_set": {"type": "str", "default": "grants"},
            "nft_udp_set": {"type": "str"},
            "ros_host": {"type": "str"},
            "ros_port": {"type": "int", "default": 8728},
            "ros_username": {"type": "str"},
            "ros_password": {"type": "str", "no_log": True},
            "ros_chain": {"type": "str", "default": "forward"},
            "ros_list_prefix": {"type": "str", "default": "sop-grant"},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        for grant in params["grants"]:
            check_grant(grant, need_end=params["state"] == "present")
        backend: Backend = (
            NftBackend(module) if params["backend"] == "nftables" else RouterOsBackend(module)
        )
        current = backend.read()
        wanted = {backend.key(g): g.get("expires_at") for g in params["grants"]}
        now = time.time()
        add, update, remove, ended = plan(
            current, wanted, params["state"], params["exclusive"], params["tolerance"], now
        )
        changed = bool(add or update or remove)
        after = dict(current)
        if changed and not module.check_mode:
            backend.apply(add, update, remove)
            after = backend.read()
    except GrantError as exc:
        module.fail_json(msg=str(exc))
    result: dict[str, Any] = {
        "changed": changed,
        "grants": [describe(k, v) for k, v in sorted(after.items())],
        "added": [describe(k, ms / 1000) for k, ms in add],
        "updated": [describe(k, ms / 1000) for k, ms in update],
        "removed": [describe(k) for k in remove],
        "ended": [describe(k) for k in ended],
    }
    if module._diff:
        gone = set(remove) | {k for k, _ in update}
        before_lines = sorted(line(k, v) for k, v in current.items())
        after_lines = [line(k, v) for k, v in current.items() if k not in gone]
        after_lines += [line(k, ms / 1000) for k, ms in [*add, *update]]
        result["diff"] = {
            "before": "".join(f"{x}\n" for x in before_lines),
            "after": "".join(f"{x}\n" for x in sorted(after_lines)),
        }
    module.exit_json(**result)


if __name__ == "__main__":
    main()
