"""Defence in depth in the store: an append-only audit table, a private store file.

The hash chain and its witness make tampering *visible*; this module makes
the easy tampering *impossible* for whoever is not the store's owner:

- SQLite: the store file is created 0600 (its -wal/-shm files follow it); a
  store of ours that others may read is tightened to 0600, one that belongs to
  someone else and is open to others is refused.  Triggers refuse UPDATE and
  DELETE on audit_entries and let audit_head only move forward to an entry
  that exists.  Whoever owns the file can drop a trigger; that is what the
  witness is for.
- PostgreSQL: the same triggers (and TRUNCATE refused), which bind every role
  including the owner; and a privilege scheme (``harden``, `sop store
  harden`): the owner role creates the schema, the application role may
  INSERT and SELECT on audit_entries, SELECT/INSERT/UPDATE on audit_head,
  everything it needs elsewhere, and never UPDATE, DELETE or TRUNCATE on the
  audit table.  docs/audit-trail.md describes the scheme.
"""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from sop_runner.errors import SopError
from sop_runner.i18n import _

_SQLITE_TRIGGERS = {
    "sop_audit_entries_no_update": (
        "CREATE TRIGGER IF NOT EXISTS sop_audit_entries_no_update BEFORE UPDATE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: UPDATE refused'); END"
    ),
    "sop_audit_entries_no_delete": (
        "CREATE TRIGGER IF NOT EXISTS sop_audit_entries_no_delete BEFORE DELETE ON audit_entries "
        "BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only: DELETE refused'); END"
    ),
    "sop_audit_head_no_delete": (
        "CREATE TRIGGER IF NOT EXISTS sop_audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head: DELETE refused'); END"
    ),
    "sop_audit_head_forward": (
        "CREATE TRIGGER IF NOT EXISTS sop_audit_head_forward BEFORE UPDATE ON audit_head "
        "WHEN NEW.length < OLD.length OR NEW.head_hash IS NOT "
        "(SELECT entry_hash FROM audit_entries WHERE seq = NEW.length) "
        "BEGIN SELECT RAISE(ABORT, 'audit_head moves only forward, to an entry that exists'); END"
    ),
}

# PostgreSQL: (trigger, table, timing) — the functions are created in the table's schema.
_PG_TRIGGERS = (
    ("sop_audit_entries_append_only", "audit_entries", "BEFORE UPDATE OR DELETE", "ROW", "refuse"),
    ("sop_audit_entries_no_truncate", "audit_entries", "BEFORE TRUNCATE", "STATEMENT", "refuse"),
    ("sop_audit_head_no_delete", "audit_head", "BEFORE DELETE", "ROW", "refuse"),
    ("sop_audit_head_no_truncate", "audit_head", "BEFORE TRUNCATE", "STATEMENT", "refuse"),
    ("sop_audit_head_forward", "audit_head", "BEFORE UPDATE", "ROW", "forward"),
)
_PG_LOCK = 74658  # the audit chain's own advisory lock is 74657


def _pg_functions(schema: str) -> list[str]:
    # '%%' is one '%' once the driver has read the statement (psycopg's paramstyle).
    # search_path pinned to the store's schema: a role cannot shadow audit_entries
    # with a table of its own in a schema that comes first.
    pinned = f"SET search_path = pg_catalog, {schema}"
    return [
        f"""CREATE OR REPLACE FUNCTION {schema}.sop_audit_refuse() RETURNS trigger
LANGUAGE plpgsql {pinned} AS $$
BEGIN
  RAISE EXCEPTION 'audit trail is append-only: %% on %% refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$""",
        f"""CREATE OR REPLACE FUNCTION {schema}.sop_audit_head_forward() RETURNS trigger
LANGUAGE plpgsql {pinned} AS $$
BEGIN
  IF NEW.length < OLD.length OR NEW.head_hash IS DISTINCT FROM
     (SELECT entry_hash FROM audit_entries WHERE seq = NEW.length) THEN
    RAISE EXCEPTION 'audit_head moves only forward, to an entry that exists'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END $$""",
    ]


def sqlite_path(url: str) -> Path | None:
    """Given a sqlite:/// URL, return the store file's path (None for an in-memory store)."""
    name = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


def prepare_sqlite_file(path: Path) -> None:
    """Given the store file's path, return once the file exists and only its owner can use it.

    A new file is created 0600 before SQLite opens it (SQLite gives its -wal
    and -shm files the same mode).  A file of ours that others may read or
    write is tightened to 0600 with one line on stderr: only its owner (or an
    older sop under the default umask) can have opened it up, and closing it
    loses nothing.  Raise SopError if the file belongs to someone else and is
    open to others: anyone could have written it, and we cannot close it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.close(fd)
    except FileExistsError:
        pass
    except OSError as exc:
        raise SopError(
            _("store file {path}: cannot create it ({reason})").format(
                path=path, reason=exc.strerror
            )
        ) from None
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return
    if info.st_uid != os.geteuid():
        raise SopError(
            _(
                "store file {path}: belongs to uid {uid} and is open to group/others "
                "(mode {mode}); its owner must run `chmod 600 {path}`"
            ).format(path=path, uid=info.st_uid, mode=f"{mode:04o}")
        )
    for extra in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if extra.exists():
            extra.chmod(0o600)
    print(
        "sop: "
        + _("store file {path} was open to others (mode {mode}); tightened to 0600").format(
            path=path, mode=f"{mode:04o}"
        ),
        file=sys.stderr,
    )


def apply(engine: Engine) -> None:
    """Given an engine whose schema exists, return once the audit tables are guarded.

    Present and enabled triggers are left alone, so an application role that
    owns nothing can open the store.  Missing triggers are created, disabled
    ones enabled again, when this role may (SQLite's file owner always may),
    with one line on stderr when the trail already held entries: someone
    removed the guard, and `sop audit verify` should be run.  Raise SopError
    if a trigger is missing or disabled and this role cannot restore it.
    """
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            _apply_sqlite(conn)
        elif engine.dialect.name == "postgresql":
            _apply_postgresql(conn)


def _warn_restored(conn: Connection, what: str) -> None:
    if conn.execute(text("SELECT 1 FROM audit_entries LIMIT 1")).first() is not None:
        print(
            "sop: "
            + _(
                "store: the audit trail's trigger(s) {what} were missing or disabled "
                "(removed, or the store is older than them); "
                "restored them — run `sop audit verify`"
            ).format(what=what),
            file=sys.stderr,
        )


def _apply_sqlite(conn: Connection) -> None:
    present = set(
        conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'trigger'")).scalars()
    )
    missing = [name for name in _SQLITE_TRIGGERS if name not in present]
    for name in missing:
        conn.exec_driver_sql(_SQLITE_TRIGGERS[name])
    if missing:  # silent for a new store: nothing was written without them
        _warn_restored(conn, ", ".join(missing))


def _pg_trigger_states(conn: Connection) -> dict[str, tuple[str, str]]:
    rows = conn.execute(
        text(
            "SELECT t.tgname, c.relname, t.tgenabled FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE c.relname IN ('audit_entries', 'audit_head') "
            "AND c.relnamespace = current_schema()::regnamespace AND NOT t.tgisinternal"
        )
    )
    return {str(name): (str(table), str(enabled)) for name, table, enabled in rows}


def _apply_postgresql(conn: Connection) -> None:
    conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK})
    states = _pg_trigger_states(conn)
    disabled = sorted((name, table) for name, (table, state) in states.items() if state == "D")
    missing = [t for t in _PG_TRIGGERS if t[0] not in states]
    if not missing and not disabled:
        return
    schema = str(conn.execute(text("SELECT quote_ident(current_schema())")).scalar())
    try:
        with conn.begin_nested():
            if missing:
                for statement in _pg_functions(schema):
                    conn.exec_driver_sql(statement)
            for name, table, timing, level, function in missing:
                target = "sop_audit_refuse" if function == "refuse" else "sop_audit_head_forward"
                conn.exec_driver_sql(
                    f"CREATE TRIGGER {name} {timing} ON {schema}.{table} "
                    f"FOR EACH {level} EXECUTE FUNCTION {schema}.{target}()"
                )
            for name, table in disabled:
                conn.exec_driver_sql(f"ALTER TABLE {schema}.{table} ENABLE TRIGGER {name}")
    except DBAPIError as exc:
        said = (
            _(
                "store: the audit trail's trigger {which} is missing and this role cannot "
                "restore it ({reason}); the store's owner must run "
                "`sop store harden --admin-url …`"
            )
            if missing
            else _(
                "store: the audit trail's trigger {which} is disabled and this role cannot "
                "restore it ({reason}); the store's owner must run "
                "`sop store harden --admin-url …`"
            )
        )
        raise SopError(
            said.format(
                which=missing[0][0] if missing else disabled[0][0],
                reason=str(exc.orig).splitlines()[0][:120],
            )
        ) from None
    _warn_restored(conn, ", ".join([t[0] for t in missing] + [t[0] for t in disabled]))


def _quote(conn: Connection, name: str) -> str:
    return str(conn.execute(text("SELECT quote_ident(:n)"), {"n": name}).scalar())


def privilege_statements(conn: Connection, app_role: str) -> list[str]:
    """Given an owner's connection and the application role, return the grants to run.

    The application role gets what `sop` needs on every table of the schema
    and nothing that rewrites the audit trail.
    """
    schema = str(conn.execute(text("SELECT quote_ident(current_schema())")).scalar())
    owner = str(conn.execute(text("SELECT quote_ident(current_user)")).scalar())
    app = _quote(conn, app_role)
    return [
        f"REVOKE CREATE ON SCHEMA {schema} FROM PUBLIC",
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {schema} TO {app}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {app}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {app}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.audit_entries "
        f"FROM {app}",
        f"REVOKE DELETE, TRUNCATE, REFERENCES, TRIGGER ON {schema}.audit_head FROM {app}",
        # Tables a feature adds later (created by the owner) are usable at once;
        # the audit tables exist already and keep their narrower grants.
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {app}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA {schema} "
        f"GRANT USAGE, SELECT ON SEQUENCES TO {app}",
    ]


def check_roles(conn: Connection, app_role: str) -> None:
    """Given an owner's connection and the application role, return if the split holds.

    Raise SopError if the role does not exist, is a superuser (privileges and
    ownership checks do not bind it), is the owner, or is a member of the owner.
    """
    row = conn.execute(
        text(
            "SELECT rolsuper, rolname = current_user, pg_has_role(rolname, current_user, 'MEMBER') "
            "FROM pg_roles WHERE rolname = :r"
        ),
        {"r": app_role},
    ).first()
    if row is None:
        raise SopError(
            _(
                "--app-role: role {role!r} does not exist; create it first "
                "(CREATE ROLE {role} LOGIN) with a password kept out of argv"
            ).format(role=app_role)
        )
    superuser, is_owner, member = row
    if superuser:
        raise SopError(
            _("--app-role: {role!r} is a superuser; privileges do not bind it").format(
                role=app_role
            )
        )
    if is_owner or member:
        raise SopError(
            _(
                "--app-role: {role!r} is (a member of) the owner role of the admin URL; "
                "the application role must be another role"
            ).format(role=app_role)
        )


def harden(admin_engine: Engine, app_role: str, *, check: bool = False) -> list[str]:
    """Given an engine connected as the store's owner and the application role, apply the
    triggers and the privilege scheme; return the statements (only listed when check).

    The caller has created the schema as the owner (every table of the
    installed features).  Raise SopError if the roles do not split (check_roles).
    """
    if admin_engine.dialect.name != "postgresql":
        raise SopError(_("--admin-url: a postgresql:// URL of the store's owner role"))
    with admin_engine.connect() as conn:
        check_roles(conn, app_role)
        statements = privilege_statements(conn, app_role)
        if check:
            return statements  # closing the connection rolls back: nothing was changed
        _apply_postgresql(conn)
        for statement in statements:
            conn.exec_driver_sql(statement)
        conn.commit()
    return statements


def admin_url_problem(url: str) -> str | None:
    """Given an --admin-url, return what is wrong with it (None when usable)."""
    try:
        parsed = make_url(url)
    except Exception:
        return _("not a database URL; expected postgresql://OWNER@HOST/DB")
    if not parsed.drivername.startswith("postgres"):
        return _("a postgresql:// URL of the store's owner role")
    if parsed.password:
        return _("must not carry a password (argv is visible to every user); use ~/.pgpass")
    return None


def harden_store(admin_url: str, app_role: str, *, check: bool = False) -> list[str]:
    """Given the owner's URL (no password) and the application role, create the schema as
    the owner, guard the audit tables and apply the grants; return the grant statements.

    With check nothing is created or changed: the statements are only listed.
    Raise SopError naming --admin-url or --app-role if either is unusable.
    """
    from sqlalchemy import create_engine

    from sop_runner.store.db import _normalize, engine_for

    problem = admin_url_problem(admin_url)
    if problem is not None:
        raise SopError(f"--admin-url: {problem}")
    if check:
        engine = create_engine(_normalize(admin_url), connect_args={"connect_timeout": 5})
        try:
            return harden(engine, app_role, check=True)
        except DBAPIError as exc:
            raise SopError(f"--admin-url: {str(exc.orig).splitlines()[0][:160]}") from None
        finally:
            engine.dispose()
    # engine_for creates every table of the installed features, as the owner.
    return harden(engine_for(admin_url), app_role)
