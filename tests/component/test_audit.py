"""The audit chain: every kind of tampering is detected and located."""

from __future__ import annotations

from sqlalchemy import text

from sop_runner import audit
from tests.support.trail import unguarded


def _fill(env, n: int = 10) -> None:
    with env.ctx().session() as session:
        for i in range(n):
            audit.append(session, "budi", "test.event", f"thing/{i}", {"i": i})


def _exec(env, sql: str, **params) -> None:
    # The store's owner lifts the append-only triggers first (store/hardening.py).
    with unguarded(env.ctx().engine) as conn:
        conn.execute(text(sql), params)


def test_intact_chain_verifies(sop_env):
    _fill(sop_env)
    count, finding = audit.verify(sop_env.ctx().engine)
    assert (count, finding) == (10, None)


def test_edited_entry_is_located(sop_env):
    _fill(sop_env)
    _exec(
        sop_env, "UPDATE audit_entries SET content = REPLACE(content, 'budi', 'sari') WHERE seq = 4"
    )
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (4, "edited")
    # What the person reads says it in their language (Indonesian by default).
    said = sop_env.sop("audit", "verify")
    assert said.returncode == 1 and "entri 4 diubah setelah ditulis" in said.stdout, said.stdout
    said = sop_env.sop("--lang", "en", "audit", "verify")
    assert "entry 4 was edited after it was written" in said.stdout, said.stdout


def test_edited_entry_with_recomputed_hash_is_located(sop_env):
    _fill(sop_env)
    with unguarded(sop_env.ctx().engine) as conn:
        prev, content = conn.execute(
            text("SELECT prev_hash, content FROM audit_entries WHERE seq = 6")
        ).one()
        forged = content.replace("budi", "sari")
        conn.execute(
            text("UPDATE audit_entries SET content=:c, entry_hash=:h WHERE seq=6"),
            {"c": forged, "h": audit.link_hash(prev, forged)},
        )
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (6, "edited")


def test_deleted_entry_is_located(sop_env):
    _fill(sop_env)
    _exec(sop_env, "DELETE FROM audit_entries WHERE seq = 5")
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (5, "deleted")


def test_deleted_tail_is_noticed(sop_env):
    _fill(sop_env)
    _exec(sop_env, "DELETE FROM audit_entries WHERE seq >= 9")
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (9, "deleted")


def test_inserted_entry_is_located(sop_env):
    _fill(sop_env)
    # Make room after entry 3 and slip in a well-formed entry linked to entry 3.
    with unguarded(sop_env.ctx().engine) as conn:
        rows = (
            conn.execute(text("SELECT seq FROM audit_entries WHERE seq > 3 ORDER BY seq DESC"))
            .scalars()
            .all()
        )
        for seq in rows:
            conn.execute(
                text("UPDATE audit_entries SET seq = :n WHERE seq = :o"), {"n": seq + 1, "o": seq}
            )
        prev = conn.execute(text("SELECT entry_hash FROM audit_entries WHERE seq = 3")).scalar()
        content = audit.canonical({"actor": "mallory", "action": "approval.approve"})
        conn.execute(
            text(
                "INSERT INTO audit_entries (seq, content, prev_hash, entry_hash) "
                "VALUES (4, :c, :p, :h)"
            ),
            {"c": content, "p": prev, "h": audit.link_hash(prev, content)},
        )
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (4, "inserted")


def test_swapped_entries_are_located(sop_env):
    _fill(sop_env)
    with unguarded(sop_env.ctx().engine) as conn:
        conn.execute(text("UPDATE audit_entries SET seq = 1000 WHERE seq = 7"))
        conn.execute(text("UPDATE audit_entries SET seq = 7 WHERE seq = 8"))
        conn.execute(text("UPDATE audit_entries SET seq = 8 WHERE seq = 1000"))
    _, finding = audit.verify(sop_env.ctx().engine)
    assert finding is not None and (finding.seq, finding.kind) == (7, "reordered")


def test_audit_verify_command_exits_nonzero_and_names_entry(sop_env):
    _fill(sop_env)
    assert sop_env.sop("audit", "verify").returncode == 0
    _exec(
        sop_env,
        "UPDATE audit_entries SET content = REPLACE(content, :a, :b) WHERE seq = 3",
        a='"i":2',
        b='"i":9',
    )
    result = sop_env.sop("audit", "verify")
    assert result.returncode == 1
    assert "RUSAK di entri 3" in result.stdout and "edited" in result.stdout
