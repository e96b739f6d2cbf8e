"""Retention of personal data in the log book: old entries anonymised, through a gate.

Entries closed longer ago than the retention period (``--older-than``, default
``$SOP_ACCESS_RETENTION`` or 365d) lose their names, identity document details
(last four characters, salted hash, salt) and the nonce that tied their signed
digest to a person; their kind, times, rooms, escort and purpose stay, so every
count and duration of the monthly log book still holds.  Permissions older than
the period lose their names the same way.

The gate: a petugas proposes (a signed action that lists exactly the entries),
a penanggung jawab other than the proposer approves (signed), and only then
``apply`` anonymises those entries, in one transaction with its audit entry.
``propose --check`` and ``apply --check`` say what would be done and write nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from sop_runner import durations
from sop_runner.context import Context
from sop_runner.errors import GateRefused, SopError
from sop_runner.i18n import _
from sop_runner.procedures.access import policy
from sop_runner.procedures.access.models import AccessEntry, AccessPermission, AccessRetention
from sop_runner.store.db import read_only
from sop_runner.trust.trail import verify_block

PERIOD_ENV = "SOP_ACCESS_RETENTION"
DEFAULT_PERIOD = "365d"
# An approval is used soon or asked again: the entries it names may change meanwhile.
APPROVAL_LASTS = timedelta(days=7)


@dataclass(frozen=True)
class Plan:
    """What a retention would anonymise: the cutoff, the entries and permissions, by kind."""

    cutoff: datetime
    entries: tuple[int, ...]
    permissions: tuple[int, ...]
    by_kind: dict[str, int]

    def says(self) -> str:
        """Return what it will do, in one line (Indonesian, as the petugas reads it)."""
        kinds = ", ".join(f"{k} {n}" for k, n in self.by_kind.items())
        return (
            f"akan menganonimkan {len(self.entries)} entri buku log ({kinds}) dan "
            f"{len(self.permissions)} izin sebelum {self.cutoff:%Y-%m-%d %H:%M} UTC: nama, "
            "instansi dan rincian identitas dihapus; jenis, waktu, ruang, pendamping dan "
            "jumlah tetap"
        )


def period(text: str | None) -> timedelta:
    """Given --older-than (or None), return the retention period (env, else 365d)."""
    chosen = text or os.environ.get(PERIOD_ENV) or DEFAULT_PERIOD
    return durations.parse(chosen, "--older-than" if text else PERIOD_ENV)


def plan(session: Session, cutoff: datetime) -> Plan:
    """Given a cutoff, return the closed entries and permissions older than it, not yet done."""
    rows = session.scalars(
        select(AccessEntry)
        .where(
            AccessEntry.time_out.is_not(None),
            AccessEntry.time_out < cutoff,
            AccessEntry.anonymised_at.is_(None),
        )
        .order_by(AccessEntry.id)
    ).all()
    permissions = session.scalars(
        select(AccessPermission.id)
        .where(AccessPermission.valid_until < cutoff, AccessPermission.anonymised_at.is_(None))
        .order_by(AccessPermission.id)
    ).all()
    by_kind = {k: sum(1 for r in rows if r.kind == k) for k in policy.KINDS}
    return Plan(cutoff, tuple(r.id for r in rows), tuple(permissions), by_kind)


def _data(row: AccessRetention) -> dict[str, object]:
    return {
        "cutoff": row.cutoff.isoformat(timespec="seconds"),
        "entries": list(row.entries),
        "permissions": list(row.permissions),
    }


def propose(ctx: Context, older_than: str | None, operator: str | None, check: bool) -> Plan:
    """Given the retention period, return what it would anonymise; unless ``check``, record
    the proposal as the petugas' signed action.  Raise SopError when nothing is due."""
    cutoff = policy.now() - period(older_than)
    acting = None if check else ctx.actor(operator)
    if acting is not None and "petugas" not in acting.roles:
        raise SopError(
            _("operator: {name!r} is not a petugas; a petugas proposes it").format(name=acting.name)
        )
    with ctx.session() as session:
        found = plan(session, cutoff)
        if check:
            return found
        if not found.entries and not found.permissions:
            raise SopError(
                _("--older-than: no closed entry or permission is that old; nothing to do")
            )
        assert acting is not None
        row = AccessRetention(
            cutoff=cutoff,
            entries=list(found.entries),
            permissions=list(found.permissions),
            proposed_by=acting.name,
            proposed_signed={},
            proposed_at=policy.now(),
        )
        session.add(row)
        session.flush()
        row.proposed_signed = acting.sign(
            session, "access.retention_proposed", f"access-retention/{row.id}", _data(row)
        )
        return found


def approve(ctx: Context, proposal: int, operator: str | None) -> None:
    """Given a proposal, record the penanggung jawab's signed approval.

    Raise SopError unless the operator is a penanggung jawab other than the proposer.
    """
    acting = ctx.actor(operator)
    if "penanggung_jawab" not in acting.roles:
        raise SopError(
            _("operator: {name!r} is not a penanggung_jawab; the PJ approves").format(
                name=acting.name
            )
        )
    with ctx.session() as session:
        row = _proposal(session, proposal)
        if row.proposed_by == acting.name:
            raise GateRefused(
                _("retention {id}: the proposer cannot approve it too").format(id=row.id)
            )
        if row.applied_at is not None:
            raise SopError(_("retention {id}: applied already").format(id=row.id))
        row.approved_by = acting.name
        row.approved_signed = acting.sign(
            session, "access.retention_approved", f"access-retention/{row.id}", _data(row)
        )


def _proposal(session: Session, proposal: int) -> AccessRetention:
    row = session.get(AccessRetention, proposal)
    if row is None:
        raise SopError(_("retention: no proposal {id}").format(id=proposal))
    return row


def approval_problems(ctx: Context, row: AccessRetention) -> list[str]:
    """Given a proposal, return why its approval does not hold (empty when it does)."""
    if row.approved_by is None or not row.approved_signed:
        return ["not approved by a penanggung jawab yet (`sop access retention approve`)"]
    found = verify_block(
        row.approved_signed,
        "access.retention_approved",
        f"access-retention/{row.id}",
        _data(row),
        row.approved_by,
        list(ctx.trusted.history),
    )
    signer = ctx.trusted.current.get(row.approved_by)
    if signer is None or "penanggung_jawab" not in signer.roles:
        found.append(f"{row.approved_by!r} is no penanggung jawab now")
    if row.approved_by == row.proposed_by:
        found.append("approved by its proposer")
    signed_at = datetime.fromisoformat(str(row.approved_signed["time"]))
    # The signature's own time is the real clock's, so is its age.
    if datetime.now(UTC) - signed_at > APPROVAL_LASTS:
        found.append(f"the approval is older than {durations.compact(APPROVAL_LASTS)}")
    return found


def apply(ctx: Context, proposal: int, operator: str | None, check: bool) -> AccessRetention:
    """Given an approved proposal, anonymise exactly its entries and permissions (signed);
    with ``check``, change nothing.  Raise GateRefused when the approval does not hold."""
    acting = ctx.actor(operator)
    with ctx.session() as session:
        row = _proposal(session, proposal)
        if row.applied_at is not None:
            raise SopError(
                _("retention {id}: applied already at {date}").format(
                    id=row.id, date=f"{row.applied_at:%Y-%m-%d}"
                )
            )
        problems = approval_problems(ctx, row)
        if problems:
            raise GateRefused(
                _("retention {id}: {problems}").format(id=row.id, problems="; ".join(problems))
            )
        if check:
            session.expunge(row)
            return row
        if session.get_bind().dialect.name == "sqlite":
            # Zero the old bytes of what is overwritten, so the file keeps no copy of them.
            session.execute(text("PRAGMA secure_delete = ON"))
        now = policy.now()
        for entry in session.scalars(
            select(AccessEntry).where(AccessEntry.id.in_(row.entries))
        ).all():
            if entry.time_out is None:
                raise SopError(
                    _("retention {id}: entry {entry} is open; propose again").format(
                        id=row.id, entry=entry.id
                    )
                )
            entry.person_name = entry.organisation = None
            entry.id_last4 = entry.id_hash = entry.id_salt = entry.nonce = None
            entry.coordination_ref = None
            entry.anonymised_at = now
        for permission in session.scalars(
            select(AccessPermission).where(AccessPermission.id.in_(row.permissions))
        ).all():
            permission.person_name = permission.organisation = permission.nonce = None
            permission.anonymised_at = now
        row.applied_at, row.applied_by = now, acting.name
        acting.sign(
            session,
            "access.anonymised",
            f"access-retention/{row.id}",
            {**_data(row), "applied_at": now.isoformat(timespec="seconds")},
        )
        session.flush()
        session.expunge(row)
    _drop_old_copies(ctx)
    return row


def _drop_old_copies(ctx: Context) -> None:
    """Rewrite the store's files so no older copy of the anonymised rows survives in them:
    SQLite's write-ahead log is checkpointed and emptied, PostgreSQL's old row versions of
    the two tables are dropped (VACUUM FULL rewrites them)."""
    engine = ctx.engine
    if engine.dialect.name == "sqlite":
        # Outside any transaction (read_only: no BEGIN IMMEDIATE of its own to wait on).
        with read_only(engine) as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    elif engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM FULL access_entries, access_permissions")
