"""SOP 2.4 rules: what may be granted, for how long, and where a grant's end falls.

The document never grants ports 21, 53, 80, 443, 3306 for remote access (narrative
step 1).  The project bounds a grant's whole life, extensions included, by a
maximum ($SOP_GRANT_MAX_DURATION, default 8h) counted from the grant's start, so
repeated short extensions cannot keep a port open: past the maximum a new grant
(a new request) is needed.

Ends are whole seconds, rounded up: the end sop records and the end the firewall
is given are the same second, and a port never closes before it.  A grant with
less than MIN_LEFT left when sop is about to change the firewall is not opened;
it is recorded as failed.
"""

from __future__ import annotations

import ipaddress
import math
import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sop_runner import durations
from sop_runner.errors import SopError
from sop_runner.i18n import N_, _, tr

if TYPE_CHECKING:
    from sop_runner.context import Context
    from sop_runner.procedures.grants.models import FirewallGrant

PROCEDURE = "2.4"
# The catalog's automated step of 2.4 (remote_access_grant.yml): open, extend, close.
GRANT_STEP = 2
FORBIDDEN_PORTS = (21, 53, 80, 443, 3306)
PROTOCOLS = ("tcp", "udp")
MIN_SOURCE_PREFIX = 16
START_GRACE = timedelta(seconds=60)
DEFAULT_DURATION = "60m"  # SOP 2.4 table step 3: "60 Menit", "Dapat diperpanjang"
DEFAULT_MAX_DURATION = "8h"
MAX_DURATION_ENV = "SOP_GRANT_MAX_DURATION"
# The module firewall_grant keeps the same minimum (MIN_LEFT_SECONDS) when it measures
# the time left at the moment it changes the firewall.
MIN_LEFT = timedelta(seconds=1)
# Grant ids are BIGINT-sized in the store; a larger number is a typo, not a grant.
MAX_GRANT_ID = 2**63 - 1
# The option of `sop grant open` behind each request parameter, for refusals.
OPTION_OF_PARAM = {
    "grant_user": "--user",
    "grant_source": "--source",
    "grant_target": "--target",
    "grant_port": "--port",
    "grant_protocol": "--protocol",
    "grant_ends_at": "--duration",
}


# --------------------------------------------------------------------------- the wish


def check_port(port: int) -> int:
    """Given a port number, return it when it may be granted; raise SopError otherwise."""
    if not 1 <= port <= 65535:
        raise SopError(_("--port: {port} is not a port; allowed: 1-65535").format(port=port))
    if port in FORBIDDEN_PORTS:
        raise SopError(
            _(
                "--port: {port} is never granted for remote access (SOP 2.4); allowed: any "
                "port 1-65535 except {forbidden}"
            ).format(port=port, forbidden=", ".join(map(str, FORBIDDEN_PORTS)))
        )
    return port


def check_protocol(protocol: str) -> str:
    """Given a protocol name, return it lowercased; raise SopError unless tcp or udp."""
    value = protocol.strip().lower()
    if value not in PROTOCOLS:
        raise SopError(
            _("--protocol: {protocol!r} is not allowed; allowed: tcp, udp").format(
                protocol=protocol
            )
        )
    return value


def check_source(text: str) -> str:
    """Given the user's IPv4 address or network, return it normalised (no /32).

    Raise SopError if it is not IPv4 or wider than /MIN_SOURCE_PREFIX.
    """
    try:
        net = ipaddress.IPv4Network(text.strip(), strict=False)
    except ValueError:
        raise SopError(
            _(
                "--source: {text!r} is not an IPv4 address or network; allowed: e.g. "
                "10.77.2.10 or 10.77.2.0/24"
            ).format(text=text)
        ) from None
    if net.prefixlen < MIN_SOURCE_PREFIX:
        raise SopError(
            _(
                "--source: {text!r} is too wide; allowed: a network of /{prefix} or narrower, "
                "or one address"
            ).format(text=text, prefix=MIN_SOURCE_PREFIX)
        )
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def parse_start(text: str, now: datetime) -> datetime:
    """Given 'now' or an ISO date-time (local time when no zone), return it in UTC.

    Raise SopError if it is not a time or is more than START_GRACE in the past.
    """
    if text.strip().lower() == "now":
        return now
    try:
        value = datetime.fromisoformat(text.strip())
        # Local time when no zone; OverflowError: the zone moves it out of years 1-9999.
        value = (value if value.tzinfo else value.astimezone()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise SopError(
            _("--start: {text!r} is not a time; allowed: now, or e.g. 2025-03-01T09:00").format(
                text=text
            )
        ) from None
    if value < now - START_GRACE:
        raise SopError(
            _("--start: {text} is in the past; allowed: now or a later time").format(text=text)
        )
    return value


def parse_day(text: str | None, field: str) -> datetime | None:
    """Given a date of a report's period (UTC when no zone), return it; None when not given.

    Raise SopError naming the field if it is not a date.
    """
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SopError(
            _("{field}: {text!r} is not a date; allowed: e.g. 2025-03-01").format(
                field=field, text=text
            )
        ) from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check_grant_id(grant_id: int) -> int:
    """Given a grant id from the command line, return it; raise SopError when it cannot be one."""
    if not 1 <= grant_id <= MAX_GRANT_ID:
        raise SopError(
            _("grant: {id} is not a grant id; allowed: 1-{largest}").format(
                id=grant_id, largest=MAX_GRANT_ID
            )
        )
    return grant_id


# --------------------------------------------------------------------------- time


def max_duration() -> timedelta:
    """Return the longest a grant may last from its start ($SOP_GRANT_MAX_DURATION, 8h).

    Raise SopError naming the variable when it is not a duration.
    """
    text = os.environ.get(MAX_DURATION_ENV, DEFAULT_MAX_DURATION)
    return durations.parse(text, MAX_DURATION_ENV)


def parse_duration(text: str, field: str) -> timedelta:
    """Given '90m', '1h30m', '45s' or a bare number of minutes, return the duration.

    Raise SopError naming the field when it is not a duration above zero or is
    longer than the maximum (sop's one duration grammar, sop_runner/durations.py).
    """
    return durations.parse(text, field, maximum=max_duration(), bare_unit="m")


def end_of(start: datetime, duration: timedelta, field: str) -> datetime:
    """Given a start and a duration, return the end: a whole second, rounded up.

    Raise SopError naming the field when the end is past the last time Python
    can hold (a start in the year 9999).
    """
    try:
        end = start + duration
        if end.microsecond:
            end = end.replace(microsecond=0) + timedelta(seconds=1)
    except OverflowError:
        raise SopError(
            _(
                "{field}: {start} plus {duration} is past the last time sop can hold "
                "(9999-12-31); allowed: an earlier time"
            ).format(
                field=field,
                start=start.isoformat(timespec="seconds"),
                duration=durations.compact(duration),
            )
        ) from None
    return end


def epoch_seconds(moment: datetime) -> int:
    """Given an aware time, return whole seconds since the epoch, rounded up (never early)."""
    return math.ceil(moment.timestamp())


def check_total(grant_id: int, start: datetime, old_end: datetime, new_end: datetime) -> None:
    """Given a grant's start, its end and a wished later end, raise SopError (naming
    --by) when the grant would last longer than the maximum from its start."""
    cap = max_duration()
    latest = end_of(start, cap, "--by")
    if new_end <= latest:
        return
    room = latest - old_end
    more = (
        _("up to {room} more").format(room=durations.compact(room))
        if room.total_seconds() >= 1
        else _("no more")
    )
    raise SopError(
        _(
            "--by: grant {id} would last {length}, over {cap} in total from its start "
            "({start}); allowed: {more} (until {latest}); to go on, open a new grant"
        ).format(
            id=grant_id,
            length=durations.compact(new_end - start),
            cap=durations.compact(cap),
            start=start.isoformat(timespec="seconds"),
            more=more,
            latest=latest.isoformat(timespec="seconds"),
        )
    )


# Why a grant never reached the firewall.  The records keep the key and its values (and
# the English text, the same in every language); unreached_text says it in the reader's
# language when it is shown, so a record written for one person reads right for another.
UNREACHED = {
    "late": N_(
        "its end {ends} came before it reached the firewall ({left}s left, at least "
        "{needed} needed); the firewall was not touched"
    ),
    "unopened": N_(
        "its end came before it reached the firewall: no `sop grant reconcile` opened it "
        "between its start and its end"
    ),
    "ended": N_("its end came before it reached the firewall; nothing was opened"),
}


def too_late(ends: datetime, now: datetime) -> dict[str, str] | None:
    """Given a grant's end and the moment sop is about to change the firewall, return why
    the grant can no longer be opened (a reason of UNREACHED; None when it still can)."""
    left = ends - now
    if left >= MIN_LEFT:
        return None
    return {
        "key": "late",
        "ends": ends.isoformat(timespec="seconds"),
        "left": f"{max(left.total_seconds(), 0):.1f}",
        "needed": durations.compact(MIN_LEFT),
    }


def unreached_text(why: dict[str, Any], lang: str | None = None) -> str:
    """Given a reason of UNREACHED ({"key": …, its values}), return it said in ``lang``
    (the process's language when None)."""
    template = UNREACHED[why["key"]]
    said = tr(template, lang) if lang else _(template)
    return said.format(**{name: value for name, value in why.items() if name != "key"})


# --------------------------------------------------------------------------- where


@dataclass(frozen=True)
class Target:
    name: str
    address: str
    firewall: str
    backend: str


def resolve_target(ctx: Context, name: str) -> Target:
    """Given a host name, return its address and the firewall in front of it.

    Raise SopError when the host is not in the inventory, has no IPv4
    address, or no firewall can be chosen for it.
    """
    inventory = ctx.inventory
    if name not in inventory.hosts:
        known = ", ".join(sorted(inventory.hosts)) or "none"
        raise SopError(
            _("--target: {name!r} is not a host of the inventory; allowed: {known}").format(
                name=name, known=known
            )
        )
    hvars = inventory.host_vars(name)
    try:
        address = str(ipaddress.IPv4Address(str(hvars.get("ansible_host", ""))))
    except ValueError:
        raise SopError(
            _(
                "--target: {name!r} has no IPv4 ansible_host in {path}; allowed: hosts with "
                "an IPv4 address"
            ).format(name=name, path=inventory.path)
        ) from None
    firewalls = sorted(inventory.groups.get("firewalls", frozenset()))
    chosen = hvars.get("grant_firewall") or (firewalls[0] if len(firewalls) == 1 else None)
    if not chosen or chosen not in inventory.hosts:
        raise SopError(
            _(
                "--target: no firewall for {name!r}; put one host in the group 'firewalls' "
                "or set the host variable grant_firewall"
            ).format(name=name)
        )
    if name == chosen:
        raise SopError(
            _("--target: {name!r} is the firewall itself; allowed: hosts behind it").format(
                name=name
            )
        )
    backend = str(inventory.host_vars(chosen).get("firewall_backend", "nftables"))
    if backend not in ("nftables", "routeros"):
        raise SopError(
            _("firewall {name}: firewall_backend {backend!r}; allowed: nftables, routeros").format(
                name=chosen, backend=backend
            )
        )
    return Target(name, address, chosen, backend)


# --------------------------------------------------------------------------- the request


@dataclass(frozen=True)
class GrantWish:
    user: str
    source: str
    target: str
    port: int
    protocol: str
    start: str
    duration: str
    reason: str
    # The remote user's own public key to certify for the grant, and the account on the
    # target it logs in to (sop_runner/procedures/grants/accounts.py).
    vendor_key: Path | None = None
    account: str = "vendor"


def validate(ctx: Context, wish: GrantWish, now: datetime) -> tuple[Target, datetime, datetime]:
    """Given what a petugas asks, return target, start and end.

    Raise SopError naming the option when it is refused: by the rules above or by
    the parameter schema of procedure 2.4 that the request for the firewall must pass.
    """
    if not wish.user.strip():
        raise SopError(_("--user: required, the remote user's name"))
    if not wish.reason.strip():
        raise SopError(_("--reason: required, say why the remote access is needed"))
    check_port(wish.port)
    protocol = check_protocol(wish.protocol)
    source = check_source(wish.source)
    duration = parse_duration(wish.duration, "--duration")
    start = parse_start(wish.start, now)
    end = end_of(start, duration, "--start")
    target = resolve_target(ctx, wish.target)
    # Checked now, before anything is written: the request made later must not be refused.
    values = (wish.user.strip(), source, target.name, wish.port, protocol, end)
    check_request(ctx, request_params("present", *values))
    return target, start, end


def request_params(
    state: str, user: str, source: str, target: str, port: int, protocol: str, ends_at: datetime
) -> dict[str, Any]:
    """Given one grant's values, return the parameters of the 2.4 request that its
    playbook's gate fixes."""
    return {
        "grant_state": state,
        "grant_user": user,
        "grant_source": source,
        "grant_target": target,
        "grant_port": port,
        "grant_protocol": protocol,
        # Rounded up: an end of 10:00:00.700 must not close the port at 10:00:00.
        "grant_ends_at": epoch_seconds(ends_at),
    }


def grant_params(grant: FirewallGrant, state: str, ends_at: datetime) -> dict[str, Any]:
    """Given a grant, return the parameters of its 2.4 request."""
    values = (grant.user, grant.source, grant.target, grant.port, grant.protocol, ends_at)
    return request_params(state, *values)


def check_request(ctx: Context, params: dict[str, Any]) -> None:
    """Given a grant request's parameters, raise SopError (naming the option of `sop
    grant`) when the parameter schema of procedure 2.4 refuses them."""
    from sop_runner.params import validate as validate_params

    try:
        validate_params(ctx.catalog.get(PROCEDURE), params, hosts=ctx.inventory.hosts)
    except SopError as refused:
        text = str(refused)
        for name, option in OPTION_OF_PARAM.items():
            text = text.replace(f"--param {name}:", f"{option}:")
        raise SopError(text) from None
