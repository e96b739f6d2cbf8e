"""Defence in depth in the store, on the real servers: the audit table refuses UPDATE,
DELETE and TRUNCATE (triggers bind even the owner), the application role has no such
privilege at all, and a SQLite store file is private to its owner."""

from __future__ import annotations

import os
import pwd
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from sop_runner import audit, i18n
from sop_runner.config import REPO_ROOT
from sop_runner.errors import SopError
from sop_runner.requests import create_request
from sop_runner.store import engine_for, hardening, session_scope
from sop_runner.trust.anchor import verify_store
from tests.support.sop import run_sop
from tests.support.trust import throwaway_acting


@pytest.fixture(autouse=True)
def _english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests name what is refused in the messages' own words (English); that the
    default is Indonesian is tested in test_trust_words.py; `sop` in a subprocess
    speaks Indonesian (no SOP_LANG)."""
    monkeypatch.setattr(i18n, "_chosen", "en")


# --- SQLite -----------------------------------------------------------------------------


def _fill(url: str, n: int = 3) -> None:
    with session_scope(url) as session:
        for i in range(n):
            audit.append(session, "budi", "test.event", f"thing/{i}", {"i": i})


def test_new_sqlite_store_is_private_to_its_owner(tmp_path):
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    _fill(url)
    for name in ("sop.db", "sop.db-wal", "sop.db-shm"):
        assert stat.S_IMODE((tmp_path / name).stat().st_mode) == 0o600, name


def test_sqlite_audit_table_refuses_update_and_delete(tmp_path):
    url = f"sqlite:///{tmp_path / 'sop.db'}"
    _fill(url)
    conn = sqlite3.connect(tmp_path / "sop.db", isolation_level=None)
    for sql, said in (
        ("UPDATE audit_entries SET content = 'x' WHERE seq = 2", "UPDATE refused"),
        ("DELETE FROM audit_entries WHERE seq = 3", "DELETE refused"),
        ("DELETE FROM audit_head", "DELETE refused"),
        ("UPDATE audit_head SET length = 1", "only forward"),
    ):
        with pytest.raises(sqlite3.DatabaseError, match=said):
            conn.execute(sql)
    conn.close()
    assert audit.verify(engine_for(url)) == (3, None)


def test_world_readable_sqlite_store_of_ours_is_tightened(tmp_path):
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    path.chmod(0o644)
    result = _sop_python(
        f"from sop_runner.store import engine_for; engine_for('sqlite:///{path}')", tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "terbuka bagi pengguna lain (mode 0644); diperketat menjadi 0600" in result.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give the file to another user")
def test_open_sqlite_store_of_someone_else_is_refused(tmp_path):
    path = tmp_path / "theirs.db"
    sqlite3.connect(path).close()
    nobody = pwd.getpwnam("nobody").pw_uid
    os.chown(path, nobody, -1)
    path.chmod(0o666)
    with pytest.raises(SopError, match=r"belongs to uid \d+ and is open to group/others"):
        hardening.prepare_sqlite_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666  # nothing changed


def test_dropped_sqlite_trigger_is_restored_and_reported(tmp_path):
    path = tmp_path / "sop.db"
    _fill(f"sqlite:///{path}")
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("DROP TRIGGER sop_audit_entries_no_delete")
    conn.close()
    result = _sop_python(
        f"from sop_runner.store import engine_for; engine_for('sqlite:///{path}')", tmp_path
    )
    assert "sop_audit_entries_no_delete tidak ada atau dinonaktifkan" in result.stderr
    conn = sqlite3.connect(path, isolation_level=None)
    with pytest.raises(sqlite3.DatabaseError, match="DELETE refused"):
        conn.execute("DELETE FROM audit_entries")


def _sop_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        timeout=60,
    )


# --- PostgreSQL: owner, application role, triggers --------------------------------------


def _psql(server, sql: str, database: str = "postgres") -> None:
    engine = create_engine(
        f"postgresql+psycopg://postgres@/{database}?host={server.socket_dir}&port={server.port}",
        isolation_level="AUTOCOMMIT",
    )
    with engine.connect() as conn:
        conn.exec_driver_sql(sql)
    engine.dispose()


@pytest.fixture
def roles(postgres_server, request):
    """An owner role with its own database and an application role (trust auth, no password)."""
    tag = f"{os.getpid()}_{abs(hash(request.node.name)) % 10_000}"
    owner, app, db = f"sop_owner_{tag}", f"sop_app_{tag}", f"sop_hard_{tag}"
    _psql(postgres_server, f"CREATE ROLE {owner} LOGIN")
    _psql(postgres_server, f"CREATE ROLE {app} LOGIN")
    _psql(postgres_server, f"CREATE DATABASE {db} OWNER {owner}")
    where = f"?host={postgres_server.socket_dir}&port={postgres_server.port}"
    yield {
        "owner": owner,
        "app": app,
        "owner_url": f"postgresql://{owner}@/{db}{where}",
        "app_url": f"postgresql://{app}@/{db}{where}",
    }


def _refused(url: str, sql: str) -> str:
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.begin() as conn:
            conn.execute(text(sql))
    except DBAPIError as exc:
        return str(exc.orig).splitlines()[0]
    finally:
        engine.dispose()
    raise AssertionError(f"{sql!r} was allowed")


def test_application_role_appends_but_cannot_rewrite_the_trail(roles, tmp_path):
    statements = hardening.harden_store(roles["owner_url"], roles["app"])
    assert any("REVOKE UPDATE, DELETE, TRUNCATE" in s for s in statements)
    app = roles["app_url"]
    budi, budi_registry = throwaway_acting(tmp_path / "keys")
    # The application role works: a request and its audit entry, through the product's code.
    with session_scope(app) as session:
        create_request(session, budi, "6.1", ["srv1"], {}, "uji hak akses")
        audit.append(session, "budi", "test.event", "thing/1", {})
    assert verify_store(engine_for(app), registries=[budi_registry]).intact
    # …and may not rewrite it: no privilege at all.
    for sql in (
        "UPDATE audit_entries SET content = 'x' WHERE seq = 1",
        "DELETE FROM audit_entries WHERE seq = 2",
        "TRUNCATE audit_entries",
        "DELETE FROM audit_head",
        "DROP TRIGGER sop_audit_entries_append_only ON audit_entries",
        "ALTER TABLE audit_entries DISABLE TRIGGER USER",
    ):
        said = _refused(app, sql)
        assert "permission denied" in said or "must be owner" in said, (sql, said)
    # The owner has the privileges, and the trigger refuses him all the same.
    for sql, op in (
        ("UPDATE audit_entries SET content = 'x' WHERE seq = 1", "UPDATE"),
        ("DELETE FROM audit_entries WHERE seq = 2", "DELETE"),
        ("TRUNCATE audit_entries CASCADE", "TRUNCATE"),
    ):
        said = _refused(roles["owner_url"], sql)
        assert f"audit trail is append-only: {op} on audit_entries refused" in said, said
    assert "moves only forward" in _refused(roles["owner_url"], "UPDATE audit_head SET length = 1")
    assert verify_store(engine_for(app), registries=[budi_registry]).intact


def test_application_role_without_the_owners_triggers_is_refused(roles):
    # The owner made the tables but never hardened: the application role cannot add the
    # triggers, and says who must.
    owner_engine = create_engine(
        roles["owner_url"].replace("postgresql://", "postgresql+psycopg://")
    )
    from sop_runner.store.models import Base

    Base.metadata.create_all(owner_engine)
    with owner_engine.begin() as conn:
        conn.exec_driver_sql(
            f"GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {roles['app']}"
        )
    owner_engine.dispose()
    with pytest.raises(
        SopError, match=r"is missing and this role cannot restore it.*sop store harden"
    ):
        engine_for(roles["app_url"] + "&application_name=unhardened")


def test_harden_refuses_an_application_role_that_is_the_owner_or_a_superuser(roles):
    with pytest.raises(SopError, match=r"--app-role: .* owner role"):
        hardening.harden_store(roles["owner_url"], roles["owner"], check=True)
    with pytest.raises(SopError, match="--app-role: 'postgres' is a superuser"):
        hardening.harden_store(roles["owner_url"], "postgres", check=True)
    with pytest.raises(SopError, match="--app-role: role 'nobody_here' does not exist"):
        hardening.harden_store(roles["owner_url"], "nobody_here", check=True)


def test_sop_store_harden_command(roles, tmp_path):
    # Before any trust file names the store: the administrator names the application role.
    env = {**os.environ, "SOP_DATA_DIR": str(tmp_path)}
    env.pop("SOP_TRUST_FILE", None)

    def sop(*args: str) -> subprocess.CompletedProcess[str]:
        return run_sop(*args, "--app-role", roles["app"], env=env, timeout=120)

    with_password = roles["owner_url"].replace("@", ":rahasia@", 1)
    refused = sop("store", "harden", "--admin-url", with_password)
    assert refused.returncode == 2 and "rahasia" not in refused.stderr + refused.stdout
    assert "--admin-url: tidak boleh memuat kata sandi" in refused.stderr
    check = sop("store", "harden", "--admin-url", roles["owner_url"], "--check")
    assert check.returncode == 0, check.stderr
    assert f"akan dijalankan) untuk peran aplikasi {roles['app']}" in check.stdout
    assert "REVOKE UPDATE, DELETE, TRUNCATE" in check.stdout
    done = sop("store", "harden", "--admin-url", roles["owner_url"])
    assert done.returncode == 0, done.stderr
    assert "ditolak oleh trigger" in done.stdout
    assert verify_store(engine_for(roles["app_url"])).intact  # the application role reads it
    said = _refused(roles["app_url"], "DELETE FROM audit_entries")
    assert "permission denied" in said
