"""An audit trail to tamper with: a SQLite or PostgreSQL store, operators with real keys,
a registry version holding them, signed checkpoints, and the attacker's tools.

The attacker owns the store (SQLite file owner, PostgreSQL owner or
superuser): he can lift the append-only triggers, rewrite rows and recompute
the chain.  What he cannot do is sign as someone else or rewrite the witness.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from sop_runner import audit, keys
from sop_runner.store import engine_for, session_scope
from sop_runner.trust.registry import Registry, RegistryOperator
from sop_runner.trust.trail import signed_append
from sop_runner.trust.witness import Checkpoint, make_checkpoint

NAMES = ("budi", "sari", "ahmad")
LOG = "sop-pusatdata/test"


@dataclass
class Trail:
    """A store with its audit trail, the operators' keys and a registry version."""

    url: str
    key_dir: Path
    registry: Registry
    checkpoints: list[Checkpoint] = field(default_factory=list)

    @property
    def engine(self) -> Engine:
        return engine_for(self.url)

    def operator(self, name: str) -> RegistryOperator:
        found = self.registry.get(name)
        assert found is not None
        return found

    def append(self, count: int, *, actor: str = "budi", action: str = "test.event") -> None:
        """Append unsigned entries (automated events, as `ansible` writes)."""
        with session_scope(self.url) as session:
            for i in range(count):
                audit.append(session, actor, action, f"thing/{i}", {"i": i})

    def signed(self, name: str, action: str, subject: str, data: dict[str, Any]) -> None:
        """Append one entry signed by `name` (the way issue 14's wiring will)."""
        with session_scope(self.url) as session:
            signed_append(session, self.key_dir, self.operator(name), 1, action, subject, data)

    def checkpoint(self, signer: str = "budi", log: str = LOG) -> Checkpoint:
        """Sign a checkpoint of the chain as it is now and keep it (the witness)."""
        with self.engine.connect() as conn:
            row = conn.execute(
                text("SELECT seq, entry_hash FROM audit_entries ORDER BY seq DESC LIMIT 1")
            ).first()
        size, head = (row[0], row[1]) if row else (0, audit.GENESIS)
        cp = make_checkpoint(log, size, head, signer, keys.load_key(self.key_dir, signer))
        self.checkpoints.append(cp)
        return cp

    def tamper(self, sql: str, **params: Any) -> None:
        """Run SQL as the store's owner with the append-only guard lifted, then put it back."""
        with self.engine.begin() as conn:
            _unguard(conn)
            conn.execute(text(sql), params)
        with self.engine.begin() as conn:
            _reguard(conn)

    def fix_head(self) -> None:
        """Point audit_head at the chain's last entry (the careful attacker)."""
        self.tamper(
            "UPDATE audit_head SET length = (SELECT COUNT(*) FROM audit_entries), "
            "head_hash = COALESCE((SELECT entry_hash FROM audit_entries "
            "ORDER BY seq DESC LIMIT 1), :genesis)",
            genesis=audit.GENESIS,
        )

    def recompute(self, start: int) -> None:
        """Recompute every hash from entry `start` on and fix the head (a wholesale rewrite)."""
        with self.engine.begin() as conn:
            _unguard(conn)
            rows = conn.execute(
                text("SELECT seq, content FROM audit_entries WHERE seq >= :s ORDER BY seq"),
                {"s": start},
            ).all()
            prev = conn.execute(
                text("SELECT entry_hash FROM audit_entries WHERE seq = :p"), {"p": start - 1}
            ).scalar()
            prev = prev or audit.GENESIS
            for seq, content in rows:
                digest = audit.link_hash(prev, content)
                conn.execute(
                    text("UPDATE audit_entries SET prev_hash = :p, entry_hash = :h WHERE seq = :s"),
                    {"p": prev, "h": digest, "s": seq},
                )
                prev = digest
            conn.execute(
                text(
                    "UPDATE audit_head SET head_hash = :h, "
                    "length = (SELECT COUNT(*) FROM audit_entries)"
                ),
                {"h": prev},
            )
        with self.engine.begin() as conn:
            _reguard(conn)


@contextmanager
def unguarded(engine: Engine) -> Iterator[Any]:
    """Given a store, yield a connection (in a transaction) with the audit guard lifted;
    the guard is back afterwards (what the store's owner can do, and hide)."""
    with engine.begin() as conn:
        _unguard(conn)
        yield conn
    with engine.begin() as conn:
        _reguard(conn)


def _unguard(conn: Any) -> None:
    if conn.dialect.name == "sqlite":
        for name in conn.execute(
            text("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'sop_audit%'")
        ).scalars():
            conn.exec_driver_sql(f"DROP TRIGGER {name}")
    else:
        conn.exec_driver_sql("ALTER TABLE audit_entries DISABLE TRIGGER USER")
        conn.exec_driver_sql("ALTER TABLE audit_head DISABLE TRIGGER USER")


def _reguard(conn: Any) -> None:
    # The careful attacker puts the guard back, so nothing looks disturbed.
    if conn.dialect.name == "sqlite":
        from sop_runner.store.hardening import _SQLITE_TRIGGERS

        for statement in _SQLITE_TRIGGERS.values():
            conn.exec_driver_sql(statement)
    else:
        conn.exec_driver_sql("ALTER TABLE audit_entries ENABLE TRIGGER USER")
        conn.exec_driver_sql("ALTER TABLE audit_head ENABLE TRIGGER USER")


def make_trail(root: Path, url: str | None = None) -> Trail:
    """Given a scratch folder (and a store URL, SQLite there by default), return a Trail."""
    key_dir = root / "keys"
    operators = []
    for name in NAMES:
        public = keys.init_key(key_dir, name, force=True)
        operators.append(
            RegistryOperator(
                name=name,
                unix_user=name,
                roles=("petugas",),
                public_key=public,
                full_name=name.title(),
                nip=None,
                jabatan="Petugas",
            )
        )
    registry = Registry(
        version=1,
        digest="0" * 64,
        previous=None,
        issued_at="2026-01-05T08:00:00+00:00",
        operators=tuple(operators),
    )
    return Trail(url or f"sqlite:///{root / 'sop.db'}", key_dir, registry)
