"""The Buku Log akses: permissions, check-in, check-out, extensions, who is inside.

Every change is a signed action of the person who takes it (``Context.actor``:
their own key, their registry entry) and writes its audit entry in the same
transaction.  The audit trail carries no personal data: a signed action covers
the entry's non-personal fields and a digest of the personal ones (policy).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from sop_runner.context import Context
from sop_runner.errors import GateRefused, SopError
from sop_runner.i18n import _
from sop_runner.operators import Acting
from sop_runner.procedures.access import policy
from sop_runner.procedures.access.models import AccessEntry, AccessExtension, AccessPermission
from sop_runner.site import load_site
from sop_runner.trust.trail import verify_block


@dataclass(frozen=True)
class Visit:
    """What the petugas at the door writes in the log book when someone enters."""

    kind: str
    rooms: tuple[str, ...]
    purpose: str
    name: str | None = None  # vendor and tamu; a petugas is their registry identity
    organisation: str | None = None
    petugas: str | None = None  # the petugas entering (kind petugas)
    coordination: str | None = None  # vendor: the prior coordination's reference
    permission: int | None = None  # vendor, tamu: the PJ's signed permission
    escort: str | None = None
    id_type: str | None = None
    gadgets: str | None = None
    rules_acknowledged: bool = False
    at: str | None = None
    request_id: int | None = None


@dataclass(frozen=True)
class Leaving:
    """What the petugas confirms at check-out (2.1 steps 7–8, 2.2 steps 4–5, 2.3 steps 6–7)."""

    entry_id: int
    door_locked: bool
    id_returned: bool = False
    gadgets_returned: bool = False
    at: str | None = None


def stay(ctx: Context, kind: str) -> timedelta:
    """Given a kind of visitor, return its Mutu Baku from the catalog (2.1 step 5 …)."""
    procedure, number = policy.STAY_STEP[kind]
    standard = ctx.catalog.get(procedure).step(number).standard_time
    return timedelta(seconds=standard.max_seconds) if standard else policy.STAY[kind]


def places(ctx: Context) -> tuple[str, ...]:
    """Return the names of the site's places (site.yml beside the inventory)."""
    inventory = Path(ctx.settings.inventory)
    site = load_site(inventory if inventory.is_dir() else inventory.parent)
    return tuple(p.name for p in site.places)


def _rooms(ctx: Context, rooms: tuple[str, ...]) -> list[str]:
    inventory = Path(ctx.settings.inventory)
    site = load_site(inventory if inventory.is_dir() else inventory.parent)
    try:
        return site.resolve_places(list(rooms))
    except SopError as error:
        raise SopError(str(error).replace("--target", "--room")) from None


def _with_role(ctx: Context, name: str | None, role: str, what: str) -> Acting:
    acting = ctx.actor(name)
    if role not in acting.roles:
        raise SopError(
            _("operator: {name!r} is not a {role}; {what} is the {role}'s signed action").format(
                name=acting.name, role=role, what=what
            )
        )
    return acting


def _petugas_named(ctx: Context, name: str | None, option: str) -> str:
    """Given a name, return it if the registry holds it as a petugas; raise SopError otherwise."""
    value = policy.required(name, option, _("a petugas of the operators registry"))
    operator = ctx.operators.get(value)
    if operator is None or "petugas" not in operator.roles:
        known = sorted(o.name for o in ctx.registry.operators if "petugas" in o.roles)
        raise SopError(
            _("{option}: {value!r} is no petugas; allowed: {allowed}").format(
                option=option, value=value, allowed=", ".join(known)
            )
        )
    return value


def _personal(name: str | None, organisation: str | None) -> dict[str, str | None]:
    return {"name": name, "organisation": organisation}


# --------------------------------------------------------------------------- permission


def _permission_data(row: AccessPermission) -> dict[str, Any]:
    return {
        "kind": row.kind,
        "purpose": row.purpose,
        "valid_until": row.valid_until.isoformat(timespec="seconds"),
        "person_sha256": policy.personal_digest(
            row.nonce or "", _personal(row.person_name, row.organisation)
        ),
    }


def permit(
    ctx: Context,
    operator: str | None,
    kind: str,
    name: str,
    organisation: str,
    purpose: str,
    valid: timedelta,
) -> AccessPermission:
    """Given who a penanggung jawab lets in and why, record their signed permission.

    Raise SopError (nothing written) unless the operator is a penanggung jawab and
    the kind is vendor or tamu.
    """
    if kind not in ("vendor", "tamu"):
        raise SopError(
            _("--kind: {kind!r} is not allowed; a permission is for vendor or tamu").format(
                kind=kind
            )
        )
    person = policy.required(name, "--name", _("the person's name"))
    org = policy.required(organisation, "--organisation", _("the person's organisation"))
    why = policy.required(purpose, "--purpose", _("say why (alasan yang jelas)"))
    acting = _with_role(ctx, operator, "penanggung_jawab", _("a permission to enter"))
    clock = policy.now()
    with ctx.session() as session:
        row = AccessPermission(
            kind=kind,
            person_name=person,
            organisation=org,
            purpose=why,
            signer=acting.name,
            signed={},
            signed_at=clock,
            valid_until=clock + valid,
            nonce=secrets.token_hex(16),
        )
        session.add(row)
        session.flush()
        row.signed = acting.sign(
            session, "access.permitted", f"access-permission/{row.id}", _permission_data(row)
        )
        session.flush()
        session.expunge(row)
        return row


def permission_problems(ctx: Context, row: AccessPermission) -> list[str]:
    """Given a permission, return why its signature or signer does not hold (empty: holds)."""
    registries = list(ctx.trusted.history)
    found = verify_block(
        row.signed,
        "access.permitted",
        f"access-permission/{row.id}",
        _permission_data(row),
        row.signer,
        registries,
    )
    then = ctx.trusted.at(row.signed.get("registry_version")) if row.signed else None
    signer = then.get(row.signer) if then else None
    if signer is None or "penanggung_jawab" not in signer.roles:
        found.append(f"{row.signer!r} was no penanggung jawab when signing")
    return found


def _use_permission(
    ctx: Context, session: Session, visit: Visit, name: str, at: datetime
) -> AccessPermission:
    row = session.get(AccessPermission, visit.permission)
    if row is None:
        raise GateRefused(_("--permission: no permission {id}").format(id=visit.permission))
    if row.kind != visit.kind:
        raise GateRefused(
            _("--permission: {id} is for a {kind}, not a {wanted}").format(
                id=row.id, kind=row.kind, wanted=visit.kind
            )
        )
    if row.used_by is not None:
        raise GateRefused(
            _("--permission: {id} was used already (entry {entry})").format(
                id=row.id, entry=row.used_by
            )
        )
    if (row.person_name or "").casefold() != name.casefold():
        raise GateRefused(_("--permission: {id} names another person").format(id=row.id))
    if at > row.valid_until:
        raise GateRefused(
            _("--permission: {id} expired at {until}").format(
                id=row.id, until=f"{row.valid_until:%Y-%m-%d %H:%M}"
            )
        )
    problems = permission_problems(ctx, row)
    if problems:
        raise GateRefused(
            _("--permission: {id} does not hold: {problems}").format(
                id=row.id, problems="; ".join(problems)
            )
        )
    return row


# --------------------------------------------------------------------------- check-in


def _entry_data(row: AccessEntry) -> dict[str, Any]:
    """Given an entry, return what its check-in signature covers (no personal data)."""
    return {
        "kind": row.kind,
        "operator": row.operator,
        "rooms": list(row.rooms),
        "purpose_sha256": policy.personal_digest(row.nonce or "", {"purpose": row.purpose}),
        "authorisation": row.authorisation,
        "permission": row.permission_id,
        "coordination": bool(row.coordination_ref),
        "escort": row.escort,
        "id_type": row.id_type,
        "gadgets": bool(row.gadgets),
        "rules": len(row.rules),
        "time_in": row.time_in.isoformat(timespec="seconds"),
        "allowed_until": row.allowed_until.isoformat(timespec="seconds"),
        "request": row.request_id,
        "person_sha256": policy.personal_digest(
            row.nonce or "", _personal(row.person_name, row.organisation)
        ),
    }


def _authorise(ctx: Context, session: Session, visit: Visit, name: str, at: datetime) -> str:
    """Given a vendor's or guest's visit, return how it is authorised (and mark the permission
    used); raise GateRefused when the document's authorisation is missing."""
    if visit.kind == "tamu" and visit.permission is None:
        raise GateRefused(
            _(
                "--permission: a guest (tamu) enters only with the penanggung jawab's signed "
                "permission (SOP 2.3 step 1): `sop access permit --kind tamu` as the PJ first"
            )
        )
    if visit.permission is None and not (visit.coordination or "").strip():
        raise GateRefused(
            _(
                "--coordination or --permission: a vendor enters after prior coordination with a "
                "petugas (its reference) or with the penanggung jawab's signed permission "
                "(SOP 2.1 steps 1–2); this vendor has neither"
            )
        )
    if visit.permission is not None:
        _use_permission(ctx, session, visit, name, at)
        return "permission"
    return "coordination"


def check_in(
    ctx: Context, visit: Visit, operator: str | None, id_number: str | None = None
) -> AccessEntry:
    """Given a visit, the petugas recording it and (vendor, tamu) the identity number shown,
    record the check-in as their signed action; return the entry (detached).

    Raise SopError (nothing written) for bad input, GateRefused when the document's
    authorisation is missing or does not hold.
    """
    kind = policy.check_kind(visit.kind)
    rooms = _rooms(ctx, visit.rooms)
    purpose = policy.required(visit.purpose, "--purpose", _("say why (alasan yang jelas)"))
    if not visit.rules_acknowledged:
        listed = "; ".join(policy.RULES[kind])
        raise SopError(
            _("--rules-acknowledged: required; the {kind} acknowledges: {rules}").format(
                kind=kind, rules=listed
            )
        )
    acting = _with_role(ctx, operator, "petugas", _("recording the log book"))
    clock = policy.now()
    time_in = policy.moment(visit.at, clock)
    held: policy.Deposit | None = None
    if kind == "petugas":
        who = _petugas_named(ctx, visit.petugas or acting.name, "--petugas")
        entrant = ctx.operators[who]
        name, org, escort = entrant.full_name or who, "Diskominfo", None
    else:
        name = policy.required(visit.name, "--name", _("the person's name"))
        org = policy.required(visit.organisation, "--organisation", _("the person's organisation"))
        escort = _petugas_named(ctx, visit.escort, "--escort")
        who = None
        if not visit.id_type or not id_number:
            raise SopError(
                _(
                    "--id-type and the identity number (asked, or on standard input): required; "
                    "the {kind} deposits KTP, SIM or Paspor"
                ).format(kind=kind)
            )
        held = policy.deposit(visit.id_type, id_number)
        if kind == "tamu" and not (visit.gadgets or "").strip():
            raise SopError(
                _("--gadgets: required; a guest deposits their gadgets (SOP 2.3 step 2)")
            )
    if visit.request_id is not None:
        from sop_runner.procedures.access.runs import check_request

        check_request(ctx, visit.request_id, kind)
    with ctx.session() as session:
        if who is not None:
            _refuse_second_visit(session, who)
        authorisation = (
            "petugas" if kind == "petugas" else _authorise(ctx, session, visit, name, time_in)
        )
        row = AccessEntry(
            kind=kind,
            operator=who,
            person_name=name,
            organisation=org,
            purpose=purpose,
            rooms=rooms,
            authorisation=authorisation,
            coordination_ref=(visit.coordination or "").strip() or None,
            permission_id=visit.permission,
            escort=escort,
            id_type=held.id_type if held else None,
            id_last4=held.last4 if held else None,
            id_hash=held.digest if held else None,
            id_salt=held.salt if held else None,
            gadgets=(visit.gadgets or "").strip() or None,
            rules=list(policy.RULES[kind]),
            time_in=time_in,
            allowed_until=time_in + stay(ctx, kind),
            recorded_by=acting.name,
            signed_in={},
            request_id=visit.request_id,
            nonce=secrets.token_hex(16),
        )
        session.add(row)
        session.flush()
        if visit.permission is not None:
            permission = session.get(AccessPermission, visit.permission)
            assert permission is not None
            permission.used_by = row.id
        row.signed_in = acting.sign(
            session, "access.checked_in", f"access/{row.id}", _entry_data(row)
        )
        session.flush()
        session.expunge(row)
        return row


def _refuse_second_visit(session: Session, operator: str) -> None:
    open_row = session.scalars(
        select(AccessEntry).where(AccessEntry.operator == operator, AccessEntry.time_out.is_(None))
    ).first()
    if open_row is not None:
        raise SopError(
            _("--petugas: {name} is inside already (entry {entry}); check out first").format(
                name=operator, entry=open_row.id
            )
        )


# --------------------------------------------------------------------------- check-out


def _entry(session: Session, entry_id: int) -> AccessEntry:
    row = session.get(AccessEntry, entry_id)
    if row is None:
        raise SopError(_("entry: no log book entry {id}").format(id=entry_id))
    return row


def check_out(ctx: Context, leaving: Leaving, operator: str | None) -> AccessEntry:
    """Given an open entry and what the petugas confirms, record the check-out as their
    signed action; return the entry (detached).

    Raise SopError (nothing written) when the entry is closed, the door is not confirmed
    locked, or a deposited ID or gadgets are not confirmed returned.
    """
    acting = _with_role(ctx, operator, "petugas", _("recording the log book"))
    clock = policy.now()
    time_out = policy.moment(leaving.at, clock)
    with ctx.session() as session:
        row = _entry(session, leaving.entry_id)
        if row.time_out is not None:
            raise SopError(
                _("entry: {id} was checked out already at {time}").format(
                    id=row.id, time=f"{row.time_out:%H:%M}"
                )
            )
        if time_out < row.time_in:
            raise SopError(_("--at: before the entry's time in"))
        if not leaving.door_locked:
            raise SopError(
                _(
                    "--door-locked: required; the petugas makes sure the data center's door is "
                    "locked (SOP 2.1 step 7, 2.2 step 4, 2.3 step 6)"
                )
            )
        if row.id_type and not leaving.id_returned:
            raise SopError(
                _("--id-returned: required; the deposited {id_type} goes back").format(
                    id_type=row.id_type
                )
            )
        if row.gadgets and not leaving.gadgets_returned:
            raise SopError(_("--gadgets-returned: required; the deposited gadgets go back"))
        row.time_out = time_out
        row.id_returned = bool(row.id_type) and leaving.id_returned
        row.gadgets_returned = bool(row.gadgets) and leaving.gadgets_returned
        row.door_locked = True
        row.checked_out_by = acting.name
        row.signed_out = acting.sign(
            session,
            "access.checked_out",
            f"access/{row.id}",
            {
                "time_out": time_out.isoformat(timespec="seconds"),
                "id_returned": row.id_returned,
                "gadgets_returned": row.gadgets_returned,
                "door_locked": True,
                "overdue_seconds": int(
                    policy.overdue_by(
                        allowed_at(session, row, time_out), time_out, time_out
                    ).total_seconds()
                ),
            },
        )
        session.flush()
        session.expunge(row)
        return row


# --------------------------------------------------------------------------- extension


def extend(
    ctx: Context, entry_id: int, by: timedelta, reason: str, operator: str | None, at: str | None
) -> AccessExtension:
    """Given an open entry, a duration and a reason, move its end past the Mutu Baku.

    A vendor's or guest's stay is extended by the penanggung jawab's signature; a
    petugas's by a petugas or the PJ.  Raise SopError (nothing written) otherwise.
    """
    why = policy.required(reason, "--reason", _("say why the stay is extended"))
    with ctx.session() as session:
        kind = _entry(session, entry_id).kind
    role = "petugas" if kind == "petugas" else "penanggung_jawab"
    acting = ctx.actor(operator)
    if role not in acting.roles and "penanggung_jawab" not in acting.roles:
        raise SopError(
            _(
                "operator: {name!r} is not a {role}; a {kind}'s stay is extended by the "
                "{role}'s signature"
            ).format(name=acting.name, role=role, kind=kind)
        )
    when = policy.moment(at, policy.now())
    with ctx.session() as session:
        row = _entry(session, entry_id)
        if row.time_out is not None:
            raise SopError(
                _("entry: {id} was checked out already; nothing to extend").format(id=row.id)
            )
        ext = AccessExtension(
            entry_id=row.id,
            seconds=int(by.total_seconds()),
            reason=why,
            signer=acting.name,
            signed={},
            at=when,
        )
        session.add(ext)
        session.flush()
        row.allowed_until = row.allowed_until + by
        ext.signed = acting.sign(
            session,
            "access.extended",
            f"access/{row.id}",
            {
                "extension": ext.id,
                "seconds": ext.seconds,
                "reason": why,
                "at": when.isoformat(timespec="seconds"),
                "allowed_until": row.allowed_until.isoformat(timespec="seconds"),
            },
        )
        session.flush()
        session.expunge(ext)
        return ext


# --------------------------------------------------------------------------- who is inside


@dataclass(frozen=True)
class Presence:
    """Someone inside at a moment, and how their stay stands against the Mutu Baku."""

    entry: AccessEntry
    allowed_until: datetime
    overdue: timedelta


def inside(ctx: Context, at: datetime) -> list[Presence]:
    """Given a moment, return who was inside then (checked in, not yet out), oldest first."""
    with ctx.session() as session:
        rows = session.scalars(
            select(AccessEntry)
            .where(
                AccessEntry.time_in <= at,
                or_(AccessEntry.time_out.is_(None), AccessEntry.time_out > at),
            )
            .order_by(AccessEntry.time_in, AccessEntry.id)
        ).all()
        found = []
        for row in rows:
            allowed = allowed_at(session, row, at)
            found.append(Presence(row, allowed, policy.overdue_by(allowed, None, at)))
        session.expunge_all()
        return found


def allowed_at(session: Session, row: AccessEntry, at: datetime) -> datetime:
    """Given an entry and a moment, return its allowed end with the extensions signed by then."""
    extensions = session.scalars(
        select(AccessExtension).where(AccessExtension.entry_id == row.id)
    ).all()
    base = row.allowed_until - timedelta(seconds=sum(e.seconds for e in extensions))
    return base + timedelta(seconds=sum(e.seconds for e in extensions if e.at <= at))


def overdue(ctx: Context, at: datetime) -> list[Presence]:
    """Given a moment, return who was inside past their Mutu Baku then."""
    return [p for p in inside(ctx, at) if p.overdue > timedelta(0)]
