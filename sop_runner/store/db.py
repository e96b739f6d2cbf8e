"""Open the store: engine, schema, sessions; one clear error when unreachable."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

# The core's document tables (numbers, issued files) live beside their code.
import sop_runner.documents.models  # noqa: F401
from sop_runner.errors import SopError
from sop_runner.features import define_tables
from sop_runner.i18n import _
from sop_runner.store import hardening
from sop_runner.store.models import Base


def redact(url: str) -> str:
    """Given a database URL, return it with any password hidden."""
    if "@" in url and "://" in url:
        scheme, rest = url.split("://", 1)
        creds, host = rest.rsplit("@", 1)
        user = creds.split(":", 1)[0]
        return f"{scheme}://{user}:***@{host}"
    return url


def _normalize(url: str) -> str:
    # psycopg 3 is the driver we ship; plain postgresql:// would ask for psycopg2.
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


@cache
def engine_for(url: str) -> Engine:
    """Given a database URL, return an engine with the schema in place.

    Raise SopError naming the URL (password hidden) if the store cannot be
    reached or the URL is malformed.
    """
    url = _normalize(url)
    # Features define their tables on Base when they load; `sop` starts without
    # them (sop_runner/features.py), so their tables are defined here, before the
    # schema is made: every table of this installation is created.
    define_tables()
    try:
        if url.startswith("sqlite:///"):
            path = hardening.sqlite_path(url)
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                hardening.prepare_sqlite_file(path)  # 0600 before SQLite first opens it
            engine = create_engine(url, connect_args={"timeout": 30})
            # Our own BEGIN IMMEDIATE makes audit appends take the write lock
            # before reading the chain head, so two writers cannot fork it.
            event.listen(engine, "connect", _sqlite_on_connect)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(url, connect_args={"connect_timeout": 5}, pool_pre_ping=True)
        Base.metadata.create_all(engine)
        # The audit table refuses UPDATE/DELETE (triggers); see store/hardening.py.
        hardening.apply(engine)
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except ProgrammingError as exc:
        # A restricted application role (PostgreSQL) cannot create a table a new
        # feature brings: the owner creates it (`sop store harden`).
        raise SopError(
            _(
                "database {url}: this role cannot create the schema ({reason}); the store's "
                "owner must run `sop store harden --admin-url postgresql://OWNER@HOST/DB`"
            ).format(url=redact(url), reason=str(exc.orig).splitlines()[0][:160])
        ) from None
    except (OperationalError, ArgumentError, ModuleNotFoundError) as exc:
        raise SopError(
            _(
                "database {url}: cannot be reached or used ({reason}); set SOP_DB_URL to a "
                "reachable sqlite:///PATH or postgresql://USER@HOST/DB"
            ).format(url=redact(url), reason=str(exc).splitlines()[0][:160])
        ) from None
    return engine


def _sqlite_begin(conn: Connection) -> None:
    # Writers take the lock first (BEGIN IMMEDIATE); a read-only connection
    # (read_only()) reads in autocommit and never waits for a writer (WAL).
    if not conn.get_execution_options().get("sop_read_only"):
        conn.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def read_only(engine: Engine) -> Iterator[Connection]:
    """Given an engine, yield a connection for reads that never waits for a writer.

    For small reads a command makes while it holds a write transaction of its
    own (SQLite would otherwise wait for itself).
    """
    with engine.connect() as conn:
        yield conn.execution_options(sop_read_only=True)


def _sqlite_on_connect(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
    dbapi_conn.isolation_level = None  # let the "begin" listener issue BEGIN
    dbapi_conn.execute("PRAGMA foreign_keys=ON")
    dbapi_conn.execute("PRAGMA journal_mode=WAL")


@contextmanager
def session_scope(url: str) -> Iterator[Session]:
    """Given a URL, yield a session that commits on success, rolls back on error."""
    factory = sessionmaker(bind=engine_for(url), expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
