"""SOP 2.4 remote access: time-limited port grants on the firewall, and the remote account log.

A petugas agrees a time and a duration with a remote user (pengguna), then
``sop grant open`` checks the wish against the rules of the document (never
ports 21, 53, 80, 443, 3306; a duration above zero and at most the maximum;
a target of the inventory), records a request for procedure 2.4 (the work
order the playbook's gate checks), and runs ``playbooks/remote_access_grant.yml``
which puts the grant on the firewall with an absolute end.  The firewall
(nftables set element timeout, or a RouterOS address-list timeout) closes
the port at that end by itself.  ``extend``, ``revoke``, ``list``,
``reconcile`` and ``report`` complete the procedure; every change is in the
audit trail and in the remote account log (daftar log akun remot).  How long a
grant may last and where its end falls is ``grant_policy``'s.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.table import Table
from sqlalchemy import JSON, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from sop_runner import audit
from sop_runner.context import Context
from sop_runner.durations import compact as _human
from sop_runner.errors import SopError
from sop_runner.features import Command, Feature
from sop_runner.operators import get_operator
from sop_runner.procedures.grant_policy import (
    DEFAULT_DURATION,
    check_grant_id,
    check_total,
    end_of,
    epoch_seconds,
    parse_duration,
    too_late,
)
from sop_runner.requests import create_request
from sop_runner.runner import PlaybookResult, run_playbook
from sop_runner.store.models import Base, Request, Run
from sop_runner.store.types import UTCDateTime

PROCEDURE = "2.4"
PLAYBOOK = "remote_access_grant.yml"
RECONCILE_PLAYBOOK = "remote_access_reconcile.yml"
FORBIDDEN_PORTS = (21, 53, 80, 443, 3306)
PROTOCOLS = ("tcp", "udp")
MIN_SOURCE_PREFIX = 16
START_GRACE = timedelta(seconds=60)
ACTIVE = ("opening", "open")


class GrantFailed(SopError):
    """The firewall did not take the change (exit 1); the records say so."""

    exit_code = 1


# --------------------------------------------------------------------------- tables


class RemoteAccessLogEntry(Base):
    """Daftar log akun remot (SOP 2.4)."""

    __tablename__ = "remote_access_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64))
    host: Mapped[str] = mapped_column(String(128))
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    petugas: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)


class FirewallGrant(Base):
    """One remote access grant: who, from where, to which port, from when until when."""

    __tablename__ = "firewall_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    request_id: Mapped[int | None] = mapped_column(ForeignKey("requests.id"), nullable=True)
    log_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("remote_access_log.id"), nullable=True
    )
    user: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(128))
    destination: Mapped[str] = mapped_column(String(64))
    port: Mapped[int] = mapped_column(Integer)
    protocol: Mapped[str] = mapped_column(String(8))
    firewall: Mapped[str] = mapped_column(String(128))
    backend: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(Text)
    petugas: Mapped[str] = mapped_column(String(64))
    # scheduled | opening | open | closed | failed
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # expiry | revoke | reconcile
    closed_by: Mapped[str | None] = mapped_column(String(16), nullable=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)


class GrantEvent(Base):
    """What happened to a grant (or, with no grant, an anomaly found on a firewall)."""

    __tablename__ = "firewall_grant_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    grant_id: Mapped[int | None] = mapped_column(ForeignKey("firewall_grants.id"), nullable=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    # requested | opened | extended | closed | failed | anomaly
    event: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


# --------------------------------------------------------------------------- validation


def check_port(port: int) -> int:
    """Given a port number, return it when it may be granted; raise SopError otherwise."""
    if not 1 <= port <= 65535:
        raise SopError(f"--port: {port} is not a port; allowed: 1-65535")
    if port in FORBIDDEN_PORTS:
        raise SopError(
            f"--port: {port} is never granted for remote access (SOP 2.4); allowed: any port "
            f"1-65535 except {', '.join(map(str, FORBIDDEN_PORTS))}"
        )
    return port


def check_protocol(protocol: str) -> str:
    """Given a protocol name, return it lowercased; raise SopError unless tcp or udp."""
    value = protocol.strip().lower()
    if value not in PROTOCOLS:
        raise SopError(f"--protocol: {protocol!r} is not allowed; allowed: tcp, udp")
    return value


def check_source(text: str) -> str:
    """Given the user's IPv4 address or network, return it normalised (no /32)."""
    try:
        net = ipaddress.IPv4Network(text.strip(), strict=False)
    except ValueError:
        raise SopError(
            f"--source: {text!r} is not an IPv4 address or network; allowed: e.g. "
            "10.77.2.10 or 10.77.2.0/24"
        ) from None
    if net.prefixlen < MIN_SOURCE_PREFIX:
        raise SopError(
            f"--source: {text!r} is too wide; allowed: a network of /{MIN_SOURCE_PREFIX} "
            "or narrower, or one address"
        )
    return str(net.network_address) if net.prefixlen == 32 else str(net)


def parse_start(text: str, now: datetime) -> datetime:
    """Given 'now' or an ISO date-time (local time when no zone), return it in UTC."""
    if text.strip().lower() == "now":
        return now
    try:
        value = datetime.fromisoformat(text.strip())
        # Local time when no zone; OverflowError: the zone moves it out of years 1-9999.
        value = (value if value.tzinfo else value.astimezone()).astimezone(UTC)
    except (ValueError, OverflowError):
        raise SopError(
            f"--start: {text!r} is not a time; allowed: now, or e.g. 2025-03-01T09:00"
        ) from None
    if value < now - START_GRACE:
        raise SopError(f"--start: {text} is in the past; allowed: now or a later time")
    return value


def host_vars(inventory_file: Path) -> dict[str, dict[str, Any]]:
    """Given a hosts.yml, return each host's variables (group vars, then host vars)."""
    data = yaml.safe_load(inventory_file.read_text()) or {}
    result: dict[str, dict[str, Any]] = {}

    def walk(node: dict[str, Any], inherited: dict[str, Any], groups: list[str]) -> None:
        merged = {**inherited, **(node.get("vars") or {})}
        for host, hvars in (node.get("hosts") or {}).items():
            entry = result.setdefault(host, {"_groups": []})
            entry.update({k: v for k, v in merged.items() if k not in entry or k == "_groups"})
            entry.update(hvars or {})
            entry["_groups"] = sorted(set(entry["_groups"]) | set(groups))
        for child, child_node in (node.get("children") or {}).items():
            walk(child_node or {}, merged, [*groups, child])

    for name, node in data.items():
        walk(node or {}, {}, [name])
    return result


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
        raise SopError(f"--target: {name!r} is not a host of the inventory; allowed: {known}")
    all_vars = host_vars(inventory.path)
    hvars = all_vars.get(name, {})
    try:
        address = str(ipaddress.IPv4Address(str(hvars.get("ansible_host", ""))))
    except ValueError:
        raise SopError(
            f"--target: {name!r} has no IPv4 ansible_host in {inventory.path}; "
            "allowed: hosts with an IPv4 address"
        ) from None
    firewalls = sorted(inventory.groups.get("firewalls", frozenset()))
    chosen = hvars.get("grant_firewall") or (firewalls[0] if len(firewalls) == 1 else None)
    if not chosen or chosen not in all_vars:
        raise SopError(
            f"--target: no firewall for {name!r}; put one host in the group 'firewalls' "
            "or set the host variable grant_firewall"
        )
    if name == chosen:
        raise SopError(f"--target: {name!r} is the firewall itself; allowed: hosts behind it")
    backend = str(all_vars[chosen].get("firewall_backend", "nftables"))
    if backend not in ("nftables", "routeros"):
        raise SopError(
            f"firewall {chosen}: firewall_backend {backend!r}; allowed: nftables, routeros"
        )
    return Target(name, address, chosen, backend)


# --------------------------------------------------------------------------- helpers


def _utc(value: datetime | None) -> datetime | None:
    """Given a stored time (SQLite hands them back naive), return it in UTC."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _now() -> datetime:
    return datetime.now(UTC)


def _event(
    session: Session, grant: FirewallGrant | None, event: str, actor: str, detail: dict[str, Any]
) -> None:
    at = _now()
    session.add(
        GrantEvent(
            grant_id=grant.id if grant else None, at=at, event=event, actor=actor, detail=detail
        )
    )
    subject = f"grant/{grant.id}" if grant else "grant/-"
    audit.append(session, actor, f"grant.{event}", subject, detail)


def _summary(grant: FirewallGrant) -> dict[str, Any]:
    return {
        "user": grant.user,
        "source": grant.source,
        "target": grant.target,
        "destination": grant.destination,
        "port": grant.port,
        "protocol": grant.protocol,
        "firewall": grant.firewall,
        "starts_at": _utc(grant.starts_at).isoformat(timespec="seconds"),  # type: ignore[union-attr]
        "ends_at": _utc(grant.ends_at).isoformat(timespec="seconds"),  # type: ignore[union-attr]
    }


def _petugas(ctx: Context, name: str | None) -> str:
    operator = get_operator(ctx.operators, name or os.environ.get("SOP_OPERATOR"))
    if "petugas" not in operator.roles:
        raise SopError(
            f"operator: {operator.name!r} is not a petugas; SOP 2.4 has the petugas open, "
            "extend and close ports"
        )
    return operator.name


def grant_params(grant: FirewallGrant, state: str, ends_at: datetime) -> dict[str, Any]:
    """Given a grant, return the request parameters the playbook's gate fixes."""
    return {
        "grant_state": state,
        "grant_user": grant.user,
        "grant_source": grant.source,
        "grant_target": grant.target,
        "grant_port": grant.port,
        "grant_protocol": grant.protocol,
        # Rounded up: an end of 10:00:00.700 must not close the port at 10:00:00.
        "grant_ends_at": epoch_seconds(ends_at),
    }


def _run(
    ctx: Context, request_id: int, playbook: str, firewall: str, params: dict[str, Any], ident: str
) -> PlaybookResult:
    return run_playbook(
        ctx.settings,
        playbook,
        [firewall],
        {**params, "sop_request": request_id},
        ident=ident,
    )


@contextmanager
def _firewall_change(
    ctx: Context,
    change: tuple[int, int, str, dict[str, Any]],
    action: str,
    actor: str,
    refused: str,
) -> Iterator[tuple[Session, FirewallGrant, PlaybookResult]]:
    """Given (grant id, request id, firewall, params), run the grant playbook for one
    change of the grant.  When the firewall did not take it, record the failure and
    raise GrantFailed; otherwise yield a session, the grant and the playbook's result
    for the caller to record the change (committed when the block ends)."""
    grant_id, request_id, firewall, params = change
    result = _run(
        ctx, request_id, PLAYBOOK, firewall, params, f"grant{grant_id}-{action}-r{request_id}"
    )
    with ctx.session() as session:
        grant = session.get(FirewallGrant, grant_id)
        assert grant is not None
        if not result.ok:
            if action == "open":
                grant.status = "failed"
            failure = {"action": action, "error": result.error, "request": request_id}
            _event(session, grant, "failed", actor, failure)
            session.commit()
            raise GrantFailed(f"grant {grant_id}: {refused}: {result.error}")
        yield session, grant, result


def _module_result(result: PlaybookResult, firewall: str) -> dict[str, Any]:
    data = (result.artifact_data or {}).get("firewall_grant", {}) or {}
    return dict(data.get(firewall) or {})


def _log_entry(session: Session, grant: FirewallGrant) -> RemoteAccessLogEntry:
    entry = session.get(RemoteAccessLogEntry, grant.log_entry_id) if grant.log_entry_id else None
    if entry is None:
        entry = RemoteAccessLogEntry(
            user=grant.user,
            source=grant.source,
            host=grant.target,
            port=grant.port,
            protocol=grant.protocol,
            opened_at=grant.opened_at or grant.starts_at,
            ends_at=grant.ends_at,
            petugas=grant.petugas,
            reason=grant.reason,
        )
        session.add(entry)
        session.flush()
        grant.log_entry_id = entry.id
    return entry


def _close(
    session: Session,
    grant: FirewallGrant,
    at: datetime,
    how: str,
    actor: str,
    detail: dict[str, Any] | None = None,
) -> None:
    grant.status = "closed"
    grant.closed_at = at
    grant.closed_by = how
    if grant.opened_at is not None:
        entry = _log_entry(session, grant)
        entry.closed_at = at
        entry.closed_by = how
        entry.ends_at = grant.ends_at
    _event(
        session,
        grant,
        "closed",
        actor,
        {"closed_by": how, "at": at.isoformat(timespec="seconds"), **(detail or {})},
    )


def _unreached(session: Session, grant: FirewallGrant, why: str, actor: str) -> None:
    """Given a grant that never reached the firewall before its end, record it as failed."""
    grant.status = "failed"
    _event(session, grant, "failed", actor, {"action": "open", "error": why})


def settle_expired(session: Session, now: datetime | None = None) -> int:
    """Given the store, record as closed by expiry every active grant whose end is past.

    The firewall closed them by itself at their end; this writes it down.  A
    scheduled grant whose end is past was never opened: it is recorded as failed.
    Return how many were settled.
    """
    now = now or _now()
    count = 0
    query = select(FirewallGrant).where(FirewallGrant.status.in_((*ACTIVE, "scheduled")))
    for grant in session.scalars(query).all():
        ends = _utc(grant.ends_at)
        assert ends is not None
        if ends <= now and grant.status == "scheduled":
            why = "no `sop grant reconcile` opened it between its start and its end"
            _unreached(session, grant, f"its end came before it reached the firewall: {why}", "sop")
        elif ends <= now:
            if grant.opened_at is None:
                # The sop process ended before it could record the opening.
                grant.opened_at = grant.starts_at
            _close(session, grant, ends, "expiry", "sop")
            count += 1
    return count


# --------------------------------------------------------------------------- actions


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


def validate(ctx: Context, wish: GrantWish, now: datetime) -> tuple[Target, datetime, datetime]:
    """Given what a petugas asks, return target, start and end; raise SopError when refused."""
    if not wish.user.strip():
        raise SopError("--user: required, the remote user's name")
    if not wish.reason.strip():
        raise SopError("--reason: required, say why the remote access is needed")
    check_port(wish.port)
    check_protocol(wish.protocol)
    check_source(wish.source)
    duration = parse_duration(wish.duration, "--duration")
    start = parse_start(wish.start, now)
    end = end_of(start, duration, "--start")
    return resolve_target(ctx, wish.target), start, end


def open_grant(ctx: Context, wish: GrantWish, operator: str | None) -> FirewallGrant:
    """Given a validated wish, record it and open it now (or schedule it); return the grant."""
    now = _now()
    petugas = _petugas(ctx, operator)
    target, start, end = validate(ctx, wish, now)
    scheduled = start > now + timedelta(seconds=1)
    with ctx.session() as session:
        grant = FirewallGrant(
            user=wish.user.strip(),
            source=check_source(wish.source),
            target=target.name,
            destination=target.address,
            port=wish.port,
            protocol=check_protocol(wish.protocol),
            firewall=target.firewall,
            backend=target.backend,
            reason=wish.reason.strip(),
            petugas=petugas,
            status="scheduled" if scheduled else "opening",
            created_at=now,
            starts_at=start,
            ends_at=end,
            extensions=0,
        )
        session.add(grant)
        session.flush()
        _event(session, grant, "requested", petugas, _summary(grant))
        grant_id = grant.id
    if scheduled:
        return _get(ctx, grant_id)
    return _activate(ctx, grant_id, petugas)


def _get(ctx: Context, grant_id: int) -> FirewallGrant:
    with ctx.session() as session:
        grant = session.get(FirewallGrant, grant_id)
        if grant is None:
            raise SopError(f"grant: no grant with id {grant_id}")
        session.expunge(grant)
        return grant


def _activate(ctx: Context, grant_id: int, actor: str) -> FirewallGrant:
    """Given a recorded grant, put it on the firewall and record the outcome.

    Raise GrantFailed (recorded) when its end comes before it can reach the firewall.
    """
    with ctx.session() as session:
        grant = session.get(FirewallGrant, grant_id)
        assert grant is not None
        ends = _utc(grant.ends_at)
        assert ends is not None
        # Measured now, not when the wish was checked: the firewall is not touched
        # for a grant whose end has come (the module measures again when it runs).
        late = too_late(ends, _now())
        if late:
            _unreached(session, grant, late, actor)
            session.commit()
            raise GrantFailed(f"grant {grant_id}: {late}")
        params = grant_params(grant, "present", ends)
        request = create_request(
            session,
            PROCEDURE,
            [grant.firewall],
            params,
            f"grant {grant.id}: {grant.reason}",
            actor,
        )
        grant.request_id = request.id
        grant.status = "opening"
        request_id, firewall = request.id, grant.firewall
    change = (grant_id, request_id, firewall, params)
    with _firewall_change(ctx, change, "open", actor, "the firewall did not take it") as (
        session,
        grant,
        result,
    ):
        grant.status = "open"
        grant.opened_at = _now()
        _log_entry(session, grant)
        _event(
            session,
            grant,
            "opened",
            actor,
            {
                **_summary(grant),
                "request": request_id,
                "firewall_result": _module_result(result, firewall),
            },
        )
    return _get(ctx, grant_id)


def extend_grant(ctx: Context, grant_id: int, by: str, operator: str | None) -> FirewallGrant:
    """Given an active grant and a duration, move its end later on the firewall and record it."""
    check_grant_id(grant_id)
    petugas = _petugas(ctx, operator)
    extra = parse_duration(by, "--by")
    now = _now()
    with ctx.session() as session:
        settle_expired(session, now)
        grant = session.get(FirewallGrant, grant_id)
        if grant is None:
            raise SopError(f"grant: no grant with id {grant_id}")
        if grant.status not in (*ACTIVE, "scheduled"):
            raise SopError(
                f"grant: {grant_id} is {grant.status}"
                + (f" (by {grant.closed_by})" if grant.closed_by else "")
                + "; allowed: extend an open or scheduled grant (open a new one otherwise)"
            )
        old_end = _utc(grant.ends_at)
        start = _utc(grant.starts_at)
        assert old_end is not None and start is not None
        new_end = end_of(old_end, extra, "--by")
        # The maximum counts from the grant's start, extensions included.
        check_total(grant_id, start, old_end, new_end)
        status = grant.status
        params = grant_params(grant, "present", new_end)
        request_id = None
        if status != "scheduled":
            request = create_request(
                session,
                PROCEDURE,
                [grant.firewall],
                params,
                f"grant {grant.id}: extend by {_human(extra)}",
                petugas,
            )
            request_id = request.id
        firewall = grant.firewall
        if status == "scheduled":
            grant.ends_at = new_end
            grant.extensions += 1
            _event(
                session,
                grant,
                "extended",
                petugas,
                {"from": old_end.isoformat(), "to": new_end.isoformat()},
            )
            session.commit()
            return _get(ctx, grant_id)
    assert request_id is not None
    change = (grant_id, request_id, firewall, params)
    with _firewall_change(
        ctx, change, "extend", petugas, "the firewall did not take the extension"
    ) as (session, grant, _):
        grant.ends_at = new_end
        grant.extensions += 1
        if grant.log_entry_id:
            entry = session.get(RemoteAccessLogEntry, grant.log_entry_id)
            if entry is not None:
                entry.ends_at = new_end
        _event(
            session,
            grant,
            "extended",
            petugas,
            {
                "from": old_end.isoformat(timespec="seconds"),
                "to": new_end.isoformat(timespec="seconds"),
                "by": _human(extra),
                "request": request_id,
            },
        )
    return _get(ctx, grant_id)


def revoke_grant(ctx: Context, grant_id: int, reason: str, operator: str | None) -> FirewallGrant:
    """Given an active grant, close it on the firewall at once and record it."""
    check_grant_id(grant_id)
    petugas = _petugas(ctx, operator)
    if not reason.strip():
        raise SopError("--reason: required, say why the grant is revoked")
    with ctx.session() as session:
        settle_expired(session)
        grant = session.get(FirewallGrant, grant_id)
        if grant is None:
            raise SopError(f"grant: no grant with id {grant_id}")
        if grant.status not in (*ACTIVE, "scheduled"):
            raise SopError(
                f"grant: {grant_id} is already {grant.status}"
                + (f" (by {grant.closed_by})" if grant.closed_by else "")
                + "; allowed: revoke an open or scheduled grant"
            )
        if grant.status == "scheduled":
            _close(session, grant, _now(), "revoke", petugas, {"reason": reason})
            session.commit()
            return _get(ctx, grant_id)
        ends = _utc(grant.ends_at)
        assert ends is not None
        params = grant_params(grant, "absent", ends)
        request = create_request(
            session,
            PROCEDURE,
            [grant.firewall],
            params,
            f"grant {grant.id}: revoke: {reason}",
            petugas,
        )
        request_id, firewall = request.id, grant.firewall
    change = (grant_id, request_id, firewall, params)
    with _firewall_change(ctx, change, "revoke", petugas, "the firewall did not close it") as (
        session,
        grant,
        _,
    ):
        _close(session, grant, _now(), "revoke", petugas, {"reason": reason, "request": request_id})
    return _get(ctx, grant_id)


@dataclass
class ReconcileOutcome:
    firewall: str
    anomalies: list[dict[str, Any]]
    restored: list[dict[str, Any]]
    opened: list[int]
    settled: int


def reconcile(
    ctx: Context, operator: str | None, firewall: str | None = None
) -> list[ReconcileOutcome]:
    """Given the records, make each firewall hold exactly the active grants.

    Grants on a firewall that the records do not hold (or hold as ended) are
    closed and reported as anomalies; active recorded grants missing from
    the firewall are put back; scheduled grants whose start has come are
    opened.  Return one outcome per firewall.
    """
    petugas = _petugas(ctx, operator)
    firewalls = sorted(ctx.inventory.groups.get("firewalls", frozenset()))
    if firewall is not None:
        if firewall not in firewalls:
            raise SopError(
                f"--firewall: {firewall!r} is not in the group 'firewalls'; allowed: "
                + (", ".join(firewalls) or "none")
            )
        firewalls = [firewall]
    if not firewalls:
        raise SopError("reconcile: the inventory has no group 'firewalls'")
    outcomes = []
    for fw in firewalls:
        now = _now()
        with ctx.session() as session:
            settled = settle_expired(session, now)
            due = session.scalars(
                select(FirewallGrant).where(
                    FirewallGrant.firewall == fw, FirewallGrant.status == "scheduled"
                )
            ).all()
            opened = []
            for grant in due:
                if (_utc(grant.starts_at) or now) <= now:
                    late = too_late(_utc(grant.ends_at) or now, now)
                    if late:
                        _unreached(session, grant, late, petugas)
                        continue
                    grant.status = "opening"
                    opened.append(grant.id)
            active = session.scalars(
                select(FirewallGrant)
                .where(FirewallGrant.firewall == fw, FirewallGrant.status.in_(ACTIVE))
                .order_by(FirewallGrant.id)
            ).all()
            wanted = [
                {
                    "source": g.source,
                    "destination": g.destination,
                    "port": g.port,
                    "protocol": g.protocol,
                    "expires_at": epoch_seconds(_utc(g.ends_at)),  # type: ignore[arg-type]
                }
                for g in active
            ]
            by_key = {(g.source, g.destination, g.port): g.id for g in active}
            request = create_request(
                session,
                PROCEDURE,
                [fw],
                {"grants": wanted},
                f"reconcile firewall {fw} with the records",
                petugas,
            )
            request_id = request.id
        result = _run(
            ctx,
            request_id,
            RECONCILE_PLAYBOOK,
            fw,
            {"grants": wanted},
            f"grant-reconcile-{fw}-r{request_id}",
        )
        with ctx.session() as session:
            if not result.ok:
                _event(
                    session,
                    None,
                    "failed",
                    petugas,
                    {"action": "reconcile", "firewall": fw, "error": result.error},
                )
                session.commit()
                raise GrantFailed(f"reconcile {fw}: {result.error}")
            found = _module_result(result, fw)
            anomalies = []
            for item in found.get("removed", []):
                detail = {
                    "firewall": fw,
                    "request": request_id,
                    **item,
                    "what": "on the firewall but not in the records (or ended); closed",
                }
                _event(session, None, "anomaly", petugas, detail)
                anomalies.append(detail)
            for item in found.get("updated", []):
                gid = by_key.get((item["source"], item["destination"], item["port"]))
                grant = session.get(FirewallGrant, gid) if gid else None
                detail = {
                    "firewall": fw,
                    "request": request_id,
                    **item,
                    "what": "end on the firewall differs from the records; reset",
                }
                _event(session, grant, "anomaly", petugas, detail)
                anomalies.append(detail)
            for item in found.get("ended", []):
                # The module found its end had come when it ran: it never reached the firewall.
                gid = by_key.get((item["source"], item["destination"], item["port"]))
                grant = session.get(FirewallGrant, gid) if gid in opened else None
                if grant is not None:
                    why = "its end came before it reached the firewall; nothing was opened"
                    _unreached(session, grant, why, petugas)
                    opened.remove(grant.id)
            restored = []
            for item in found.get("added", []):
                gid = by_key.get((item["source"], item["destination"], item["port"]))
                grant = session.get(FirewallGrant, gid) if gid else None
                if grant is not None and grant.id in opened:
                    grant.status = "open"
                    grant.opened_at = _now()
                    _log_entry(session, grant)
                    _event(
                        session,
                        grant,
                        "opened",
                        petugas,
                        {**_summary(grant), "request": request_id, "by": "schedule"},
                    )
                else:
                    detail = {
                        "firewall": fw,
                        "request": request_id,
                        **item,
                        "what": "recorded as open but missing on the firewall; restored",
                    }
                    _event(session, grant, "anomaly", petugas, detail)
                    restored.append(detail)
            for gid in opened:
                grant = session.get(FirewallGrant, gid)
                if grant is not None and grant.status == "opening":
                    # Already on the firewall (put there by hand with the right end).
                    grant.status = "open"
                    grant.opened_at = _now()
                    _log_entry(session, grant)
                    _event(
                        session,
                        grant,
                        "opened",
                        petugas,
                        {**_summary(grant), "request": request_id, "by": "schedule"},
                    )
            for grant in session.scalars(
                select(FirewallGrant).where(
                    FirewallGrant.firewall == fw, FirewallGrant.status == "opening"
                )
            ).all():
                # Open on the firewall although the process that opened it died early.
                grant.status = "open"
                grant.opened_at = grant.opened_at or grant.starts_at
                _log_entry(session, grant)
                _event(
                    session,
                    grant,
                    "opened",
                    petugas,
                    {**_summary(grant), "request": request_id, "by": "reconcile"},
                )
            audit.append(
                session,
                petugas,
                "grant.reconciled",
                f"firewall/{fw}",
                {
                    "request": request_id,
                    "anomalies": len(anomalies),
                    "restored": len(restored),
                    "opened": opened,
                    "settled": settled,
                },
            )
        outcomes.append(ReconcileOutcome(fw, anomalies, restored, opened, settled))
    return outcomes


# --------------------------------------------------------------------------- `sop run` path


def record_from_run(session: Session, run_id: int, value: Any) -> int:
    """Given the firewall_grant stats of a `sop run` of procedure 2.4, record the grant.

    A grant opened through `sop request 2.4 ... && sop run` lands in the same
    records as one opened with `sop grant open`.  Return the rows written.
    """
    run = session.get(Run, run_id)
    request = session.get(Request, run.request_id) if run else None
    if request is None or request.procedure_id != PROCEDURE or "grant_state" not in request.params:
        return 0
    params = request.params
    existing = session.scalars(
        select(FirewallGrant).where(FirewallGrant.request_id == request.id)
    ).first()
    if existing is not None:
        return 0
    # As given (not truncated): the module rounds its timeout up from this very end.
    ends = datetime.fromtimestamp(float(params["grant_ends_at"]), UTC)
    firewall = request.targets[0]
    destination = ""
    for host_result in (value or {}).values():
        for item in (host_result or {}).get("grants", []):
            if int(item.get("port", 0)) == int(params["grant_port"]):
                destination = str(item.get("destination", ""))
    now = _now()
    if params["grant_state"] == "absent":
        rows = session.scalars(
            select(FirewallGrant).where(
                FirewallGrant.status.in_(ACTIVE),
                FirewallGrant.source == params["grant_source"],
                FirewallGrant.target == params["grant_target"],
                FirewallGrant.port == int(params["grant_port"]),
            )
        ).all()
        for grant in rows:
            _close(
                session,
                grant,
                now,
                "revoke",
                request.requested_by,
                {"request": request.id, "run": run_id},
            )
        return len(rows)
    grant = FirewallGrant(
        request_id=request.id,
        user=str(params["grant_user"]),
        source=str(params["grant_source"]),
        target=str(params["grant_target"]),
        destination=destination,
        port=int(params["grant_port"]),
        protocol=str(params["grant_protocol"]),
        firewall=firewall,
        backend="",
        reason=request.reason,
        petugas=request.requested_by,
        status="open",
        created_at=now,
        starts_at=now,
        ends_at=ends,
        opened_at=now,
        extensions=0,
    )
    session.add(grant)
    session.flush()
    _log_entry(session, grant)
    _event(
        session,
        grant,
        "opened",
        request.requested_by,
        {**_summary(grant), "request": request.id, "run": run_id},
    )
    return 1


RECORDERS = {"firewall_grant": record_from_run}


# --------------------------------------------------------------------------- report

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Daftar Log Akun Remot Pusat Data",
        "procedure": "SOP 2.4 Akses Remot",
        "period": "Periode",
        "all": "semua",
        "no": "No",
        "user": "Pengguna",
        "source": "Alamat asal",
        "host": "Server tujuan",
        "port": "Port",
        "opened": "Dibuka",
        "ends": "Berakhir (disepakati)",
        "closed": "Ditutup",
        "closed_by": "Ditutup oleh",
        "duration": "Durasi",
        "petugas": "Petugas",
        "reason": "Alasan",
        "still_open": "masih terbuka",
        "expiry": "habis waktu",
        "revoke": "dicabut",
        "reconcile": "rekonsiliasi",
        "anomalies": "Anomali pada firewall",
        "time": "Waktu",
        "firewall": "Firewall",
        "what": "Keterangan",
        "none": "Tidak ada.",
        "generated": "Dibuat",
        "extended": "Diperpanjang",
        "times": "kali",
    },
    "en": {
        "title": "Data Center Remote Account Log",
        "procedure": "SOP 2.4 Remote access",
        "period": "Period",
        "all": "all",
        "no": "No",
        "user": "User",
        "source": "Source address",
        "host": "Target server",
        "port": "Port",
        "opened": "Opened",
        "ends": "Ends (agreed)",
        "closed": "Closed",
        "closed_by": "Closed by",
        "duration": "Duration",
        "petugas": "Officer",
        "reason": "Reason",
        "still_open": "still open",
        "expiry": "expiry",
        "revoke": "revoke",
        "reconcile": "reconcile",
        "anomalies": "Anomalies on the firewall",
        "time": "Time",
        "firewall": "Firewall",
        "what": "What",
        "none": "None.",
        "generated": "Generated",
        "extended": "Extended",
        "times": "times",
    },
}


def report_data(
    ctx: Context, lang: str, since: datetime | None, until: datetime | None
) -> dict[str, Any]:
    """Given a period, return what the remote account log report shows."""
    from sop_runner.reports.render import duration_text

    words = WORDS[lang]
    with ctx.session() as session:
        settle_expired(session)
        session.commit()
        query = (
            select(FirewallGrant)
            .where(FirewallGrant.opened_at.is_not(None))
            .order_by(FirewallGrant.id)
        )
        rows = []
        for grant in session.scalars(query).all():
            opened = _utc(grant.opened_at)
            assert opened is not None
            if (since and opened < since) or (until and opened >= until):
                continue
            closed = _utc(grant.closed_at)
            rows.append(
                {
                    "id": grant.id,
                    "user": grant.user,
                    "source": grant.source,
                    "host": f"{grant.target} ({grant.destination})",
                    "port": f"{grant.protocol}/{grant.port}",
                    "opened": opened.strftime("%Y-%m-%d %H:%M:%S"),
                    "ends": _utc(grant.ends_at).strftime("%Y-%m-%d %H:%M:%S"),  # type: ignore[union-attr]
                    "closed": closed.strftime("%Y-%m-%d %H:%M:%S")
                    if closed
                    else words["still_open"],
                    "closed_by": words.get(grant.closed_by or "", grant.closed_by or ""),
                    "duration": duration_text((closed - opened).total_seconds(), lang)
                    if closed
                    else "",
                    "extensions": grant.extensions,
                    "petugas": grant.petugas,
                    "reason": grant.reason,
                }
            )
        anomalies = []
        for event in session.scalars(
            select(GrantEvent).where(GrantEvent.event == "anomaly").order_by(GrantEvent.id)
        ).all():
            at = _utc(event.at)
            assert at is not None
            if (since and at < since) or (until and at >= until):
                continue
            d = event.detail
            anomalies.append(
                {
                    "time": at.strftime("%Y-%m-%d %H:%M:%S"),
                    "firewall": d.get("firewall", ""),
                    "grant": f"{d.get('source')} -> {d.get('destination')} "
                    f"{d.get('protocol')}/{d.get('port')}",
                    "what": d.get("what", ""),
                }
            )
    period = (
        f"{since.date() if since else '…'} – {until.date() if until else '…'}"
        if since or until
        else words["all"]
    )
    return {
        "L": words,
        "lang": lang,
        "rows": rows,
        "anomalies": anomalies,
        "period": period,
        "generated": _now().strftime("%Y-%m-%d %H:%M:%S UTC"),
    }


def write_report(
    ctx: Context,
    lang: str,
    since: datetime | None,
    until: datetime | None,
    out_dir: Path | None = None,
) -> list[Path]:
    """Given a period, write the remote account log as Markdown and HTML; return the paths."""
    from sop_runner.reports.render import template_environment

    data = report_data(ctx, lang, since, until)
    out = out_dir or ctx.settings.reports_dir / "remote-access"
    out.mkdir(parents=True, exist_ok=True)
    env = template_environment()
    stamp = _now().strftime("%Y%m%d-%H%M%S")
    md = out / f"daftar-log-akun-remot-{stamp}-{lang}.md"
    md.write_text(env.get_template("grants_log.md.j2").render(**data))
    html = out / f"daftar-log-akun-remot-{stamp}-{lang}.html"
    html.write_text(env.get_template("grants_log.html.j2").render(**data))
    return [md, html]


# --------------------------------------------------------------------------- CLI

cli_name = "grant"
cli = typer.Typer(
    help="SOP 2.4 remote access: time-limited port grants on the firewall.",
    no_args_is_help=True,
)
_out = Console(soft_wrap=True)

As = Annotated[
    str | None,
    typer.Option("--as", help="operator (a petugas; default: $SOP_OPERATOR)", show_default=False),
]


def _line(grant: FirewallGrant, now: datetime) -> str:
    ends = _utc(grant.ends_at)
    assert ends is not None
    left = max(timedelta(0), ends - now)
    return (
        f"grant {grant.id} {grant.status}: {grant.user} {grant.source} -> {grant.target} "
        f"({grant.destination}) {grant.protocol}/{grant.port} via {grant.firewall}, "
        f"until {ends.isoformat(timespec='seconds')} ({_human(left)} left)"
    )


@cli.command("open")
def open_command(
    user: Annotated[str, typer.Option("--user", help="the remote user (pengguna)")],
    source: Annotated[str, typer.Option("--source", help="user's IPv4 address or network")],
    target: Annotated[str, typer.Option("--target", help="target host of the inventory")],
    port: Annotated[int, typer.Option("--port", help="port to open (not 21, 53, 80, 443, 3306)")],
    reason: Annotated[str, typer.Option("--reason", help="why the remote access is needed")],
    protocol: Annotated[str, typer.Option("--protocol", help="tcp or udp")] = "tcp",
    start: Annotated[str, typer.Option("--start", help="now, or a date-time")] = "now",
    duration: Annotated[
        str, typer.Option("--duration", help="e.g. 60m, 1h30m, 45s (max: $SOP_GRANT_MAX_DURATION)")
    ] = DEFAULT_DURATION,
    as_: As = None,
) -> None:
    """Open a port for a remote user for the agreed time (SOP 2.4 step 2)."""
    ctx = Context()
    wish = GrantWish(user, source, target, port, protocol, start, duration, reason)
    grant = open_grant(ctx, wish, as_)
    _out.print(_line(grant, _now()), markup=False, highlight=False)


@cli.command("extend")
def extend_command(
    grant_id: Annotated[int, typer.Argument(help="grant id")],
    by: Annotated[
        str, typer.Option("--by", help="e.g. 30m; start to end stays within the maximum")
    ] = DEFAULT_DURATION,
    as_: As = None,
) -> None:
    """Move the end of a grant later (SOP 2.4 step 4: 'dapat memperpanjang durasi')."""
    grant = extend_grant(Context(), grant_id, by, as_)
    _out.print(_line(grant, _now()), markup=False, highlight=False)


@cli.command("revoke")
def revoke_command(
    grant_id: Annotated[int, typer.Argument(help="grant id")],
    reason: Annotated[str, typer.Option("--reason", help="why it is closed early")],
    as_: As = None,
) -> None:
    """Close a grant now (SOP 2.4 step 4)."""
    grant = revoke_grant(Context(), grant_id, reason, as_)
    _out.print(f"grant {grant.id} closed (revoke)", markup=False, highlight=False)


@cli.command("list")
def list_command(
    all_: Annotated[bool, typer.Option("--all", help="also closed and failed grants")] = False,
) -> None:
    """Show the active grants with their time left."""
    ctx = Context()
    now = _now()
    with ctx.session() as session:
        settle_expired(session, now)
        query = select(FirewallGrant).order_by(FirewallGrant.id)
        if not all_:
            query = query.where(FirewallGrant.status.in_((*ACTIVE, "scheduled")))
        rows = session.scalars(query).all()
        table = Table(
            "id",
            "status",
            "user",
            "source",
            "target",
            "port",
            "firewall",
            "ends (UTC)",
            "left",
            "closed by",
        )
        for g in rows:
            ends = _utc(g.ends_at)
            assert ends is not None
            left = (
                _human(max(timedelta(0), ends - now)) if g.status in (*ACTIVE, "scheduled") else ""
            )
            table.add_row(
                str(g.id),
                g.status,
                g.user,
                g.source,
                f"{g.target} ({g.destination})",
                f"{g.protocol}/{g.port}",
                g.firewall,
                ends.strftime("%Y-%m-%d %H:%M:%S"),
                left,
                g.closed_by or "",
            )
    if not rows:
        _out.print("no active grants" if not all_ else "no grants", markup=False)
        return
    _out.print(table)


@cli.command("reconcile")
def reconcile_command(
    firewall: Annotated[
        str | None, typer.Option("--firewall", help="one firewall (default: all)")
    ] = None,
    as_: As = None,
) -> None:
    """Make the firewalls hold exactly the recorded grants; report what differed."""
    outcomes = reconcile(Context(), as_, firewall)
    for o in outcomes:
        _out.print(
            f"{o.firewall}: {len(o.anomalies)} anomalies closed or reset, "
            f"{len(o.restored)} restored, {len(o.opened)} scheduled opened, "
            f"{o.settled} expired recorded",
            markup=False,
        )
        for a in o.anomalies + o.restored:
            _out.print(
                f"  anomaly: {a['source']} -> {a['destination']} {a['protocol']}/{a['port']}: "
                f"{a['what']}",
                markup=False,
            )


def _date(text: str | None, field: str) -> datetime | None:
    if not text:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise SopError(f"{field}: {text!r} is not a date; allowed: e.g. 2025-03-01") from None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@cli.command("report")
def report_command(
    since: Annotated[str | None, typer.Option("--from", help="first day (YYYY-MM-DD)")] = None,
    until: Annotated[str | None, typer.Option("--to", help="day after the last")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="id (default) or en")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="directory")] = None,
) -> None:
    """Write the remote account log (daftar log akun remot) as Markdown and HTML."""
    ctx = Context()
    chosen = lang or ctx.settings.lang
    if chosen not in WORDS:
        raise SopError(f"--lang: {chosen!r} is not allowed; use 'id' or 'en'")
    for path in write_report(ctx, chosen, _date(since, "--from"), _date(until, "--to"), out):
        _out.print(str(path), markup=False)


FEATURE = Feature(
    name="grants",
    procedures=(PROCEDURE,),
    tables=(FirewallGrant, GrantEvent, RemoteAccessLogEntry),
    recorders=RECORDERS,
    commands={cli_name: Command(help=cli.info.help or "", load=lambda: cli)},
)
