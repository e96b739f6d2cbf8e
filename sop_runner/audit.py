"""The append-only audit trail: a SHA-256 hash chain, and its verification.

An entry's ``content`` is canonical JSON with the keys time, actor, action,
subject, data and, for an action a person signed, ``signed``: the signature
block ``{"fingerprint", "time", "audit_head", "registry_version",
"signature"}``.  The signature is the actor's ed25519 signature over the
action's payload, which is rebuilt from the entry itself (see
``signed_payload``), so it covers exactly what the entry says; its
``audit_head`` is the hash of the entry before (the entry's prev_hash).
docs/audit-trail.md explains the trail and its witness.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from sop_runner.i18n import _

# SQLAlchemy and the store's models are imported where they are used: `sop status`
# needs canonical() and the hashes without the ORM (issue 17, start-up).
if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from sop_runner.store.models import AuditEntry

GENESIS = "0" * 64
# The keys of an entry's signature block (``content["signed"]``).
SIGNATURE_KEYS = ("audit_head", "fingerprint", "registry_version", "signature", "time")


def canonical(value: Any) -> str:
    """Given a JSON-able value, return its canonical JSON text (sorted, compact)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def link_hash(prev_hash: str, content: str) -> str:
    """Given the previous hash and an entry's content, return the entry's hash."""
    return hashlib.sha256((prev_hash + content).encode()).hexdigest()


def _lock_chain(session: Session) -> None:
    # SQLite already holds the write lock (BEGIN IMMEDIATE); PostgreSQL needs
    # a transaction-scoped lock so two writers cannot both extend one head.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy import text

        session.execute(text("SELECT pg_advisory_xact_lock(74657)"))


def signed_payload(entry: Mapping[str, Any]) -> str:
    """Given an entry's content (parsed) with a signature block, return the signed text.

    It is the canonical payload of a signed action (sop_runner.trust.actions):
    action, subject, data and signer come from the entry, the rest from its
    signature block.  Raise KeyError if the entry or its block lacks a key.
    """
    block = entry["signed"]
    return canonical(
        {
            "action": entry["action"],
            "subject": entry["subject"],
            "data": entry["data"],
            "signer": entry["actor"],
            "fingerprint": block["fingerprint"],
            "time": block["time"],
            "audit_head": block["audit_head"],
            "registry_version": block["registry_version"],
        }
    )


# Given the hash of the entry before (the audit head the action follows), return
# the action's signature block (SIGNATURE_KEYS).
Signer = Callable[[str], Mapping[str, Any]]


def append(
    session: Session,
    actor: str,
    action: str,
    subject: str,
    data: dict[str, Any] | None = None,
    *,
    sign: Signer | None = None,
) -> AuditEntry:
    """Given a session and what happened, append one entry to the chain.

    The entry commits with the caller's transaction, so a state change and its
    audit entry land together or not at all.  For an action a person signs,
    ``sign`` is called with the current head once the chain is locked, so the
    signature covers the very head the entry follows.  Raise ValueError if
    the block it returns lacks a key or names another head.
    """
    from sop_runner.store.models import AuditEntry, AuditHead

    _lock_chain(session)
    head = session.get(AuditHead, 1)
    prev_hash = head.head_hash if head else GENESIS
    length = head.length if head else 0
    fields: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="microseconds"),
        "actor": actor,
        "action": action,
        "subject": subject,
        "data": data or {},
    }
    if sign is not None:
        block = dict(sign(prev_hash))
        if sorted(block) != list(SIGNATURE_KEYS) or block["audit_head"] != prev_hash:
            raise ValueError(
                f"signature block of {action}: keys {SIGNATURE_KEYS}, head {prev_hash}"
            )
        fields["signed"] = block
    content = canonical(fields)
    entry = AuditEntry(
        seq=length + 1,
        content=content,
        prev_hash=prev_hash,
        entry_hash=link_hash(prev_hash, content),
    )
    session.add(entry)
    # The entry first, then the head: the store's triggers (store/hardening.py)
    # let the head move only to an entry that exists.
    session.flush()
    if head is None:
        session.add(AuditHead(id=1, length=1, head_hash=entry.entry_hash))
    else:
        head.length = length + 1
        head.head_hash = entry.entry_hash
    session.flush()
    return entry


@dataclass(frozen=True)
class Finding:
    """The first place where the chain does not hold."""

    seq: int
    kind: str  # edited | deleted | inserted | reordered
    message: str


@dataclass(frozen=True)
class Row:
    seq: int
    content: str
    prev_hash: str
    entry_hash: str


def _rows(engine: Engine, batch: int = 50_000) -> Iterator[Row]:
    """Given an engine, yield the chain in order, in batches (1M rows fit any machine)."""
    from sqlalchemy import text

    last = 0
    with engine.connect() as conn:
        while True:
            chunk = conn.execute(
                text(
                    "SELECT seq, content, prev_hash, entry_hash FROM audit_entries "
                    "WHERE seq > :last ORDER BY seq LIMIT :n"
                ),
                {"last": last, "n": batch},
            ).all()
            if not chunk:
                return
            for seq, content, prev_hash, entry_hash in chunk:
                yield Row(seq, content, prev_hash, entry_hash)
            last = chunk[-1][0]


def _classify_broken_link(prev2: Row | None, prev: Row, row: Row, nxt: Row | None) -> Finding:
    """Given a row whose prev_hash does not match its predecessor, say what happened."""
    if nxt is not None and row.prev_hash == nxt.entry_hash:
        return Finding(
            row.seq,
            "reordered",
            _("entry {seq} and entry {next} are out of order (swapped)").format(
                seq=row.seq, next=nxt.seq
            ),
        )
    if nxt is not None and nxt.prev_hash == prev.entry_hash:
        return Finding(
            row.seq, "inserted", _("entry {seq} was inserted into the chain").format(seq=row.seq)
        )
    if prev2 is not None and row.prev_hash == prev2.entry_hash:
        return Finding(
            prev.seq, "inserted", _("entry {seq} was inserted into the chain").format(seq=prev.seq)
        )
    if row.seq == prev.seq + 1:
        # No gap in the numbering: the predecessor was rewritten with a fresh hash.
        return Finding(
            prev.seq,
            "edited",
            _("entry {seq} was edited and its hash recomputed").format(seq=prev.seq),
        )
    return Finding(
        prev.seq + 1,
        "deleted",
        _("entries {first}..{last} (before entry {seq}) were deleted").format(
            first=prev.seq + 1, last=row.seq - 1, seq=row.seq
        ),
    )


def verify(
    engine: Engine, visit: Callable[[Row], None] | None = None
) -> tuple[int, Finding | None]:
    """Given an engine, check the whole chain.

    Return the number of entries checked and the first finding (None when
    the chain holds).  With ``visit`` every row is handed to it in order and
    the walk goes on to the end even past a finding (the anchored checks of
    sop_runner.trust.anchor need the whole chain in one pass).
    """
    rows = _rows(engine)
    if visit is None:
        return _walk(rows, engine)
    seen = 0

    def visited() -> Iterator[Row]:
        nonlocal seen
        for row in rows:
            seen += 1
            visit(row)
            yield row

    walk = visited()
    _count, finding = _walk(walk, engine)
    for _row in walk:  # the rest of the chain, past the first finding
        pass
    return seen, finding


def _walk(rows: Iterator[Row], engine: Engine) -> tuple[int, Finding | None]:
    """Given the chain's rows in order, return (entries checked, first finding)."""
    prev2: Row | None = None
    prev: Row | None = None
    count = 0
    pending: Row | None = None  # a row whose link is broken, classified once we see the next
    for row in rows:
        count += 1
        if pending is not None:
            assert prev is not None
            return count, _classify_broken_link(prev2, prev, pending, row)
        if link_hash(row.prev_hash, row.content) != row.entry_hash:
            return count, Finding(
                row.seq,
                "edited",
                _("entry {seq} was edited after it was written").format(seq=row.seq),
            )
        expected_prev = prev.entry_hash if prev else GENESIS
        if row.prev_hash != expected_prev:
            if prev is None:
                return count, Finding(
                    row.seq,
                    "deleted",
                    _("entries before entry {seq} (the first) were deleted").format(seq=row.seq),
                )
            pending = row
            continue
        prev2, prev = prev, row
    if pending is not None:
        assert prev is not None
        return count, _classify_broken_link(prev2, prev, pending, None)
    from sqlalchemy import select

    from sop_runner.store.models import AuditHead

    with engine.connect() as conn:
        head = conn.execute(select(AuditHead.length, AuditHead.head_hash)).first()
    last_hash = prev.entry_hash if prev else GENESIS
    if head is not None and (head.length != count or head.head_hash != last_hash):
        last_seq = prev.seq if prev else 0
        return count, Finding(
            last_seq + 1,
            "deleted",
            f"the chain ends at entry {last_seq} but its head records {head.length} entries: "
            "entries at the end were deleted",
        )
    return count, None
