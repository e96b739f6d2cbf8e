"""Time-limited remote access grants (SOP 2.4): what a grant is, and the plan of a change.

Shared by the module firewall_grant and its backends (sop_firewall_nftables,
sop_firewall_routeros): a grant's identity on a firewall, the checks every grant
passes, the base class of the backends, and ``plan``, which turns what the
firewall holds and what is wished into the changes to make.
"""

from __future__ import annotations

import ipaddress
import math
from typing import Any

FORBIDDEN_PORTS = (21, 53, 80, 443, 3306)
PROTOCOLS = ("tcp", "udp")
# Less time left than this and a grant is not put on the firewall (sop keeps the same
# minimum, MIN_LEFT in sop_runner/procedures/grants/policy.py); 9999-12-31T23:59:59Z is
# the last end anyone can mean.
MIN_LEFT_SECONDS = 1.0
LAST_END = 253402300799.0

# A grant's identity on the firewall: (source, destination, protocol, port).
# protocol is "*" when the firewall does not tell the protocols apart.
Key = tuple[str, str, str, int]
# Grants with their timeouts in milliseconds (to add, or to update).
Timed = list[tuple[Key, int]]


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

    def apply(self, add: Timed, update: Timed, remove: list[Key]) -> None:
        """Given timeouts in milliseconds, make the changes."""
        raise NotImplementedError


def plan(
    current: dict[Key, float | None],
    wanted: dict[Key, float | None],
    state: str,
    exclusive: bool,
    tolerance: int,
    now: float,
) -> tuple[Timed, Timed, list[Key], list[Key]]:
    """Given the firewall and the wish (key -> expires_at), return (add, update, remove,
    ended): ended are the wished grants whose end has come (not added, removed if there).

    Timeouts are in milliseconds from ``now``, rounded up: never before the end.
    """
    add: Timed = []
    update: Timed = []
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
