"""Read requests of the store with the database's own driver, for `sop status` and
`sop requests` (issue 17).

`sop status` and `sop requests` only read: requests, approvals, runs and step records.  Opening
the store through SQLAlchemy's ORM costs more than the whole start-up budget
(the ORM, every feature's tables, the schema check), so these reads go through
the DB-API driver (sqlite3, psycopg) and hand back plain rows with the ORM
models' attribute names and Python types: the gates, the hash and the views use
them unchanged.  Whatever this cannot open (a missing file or table, another
database) returns None and the caller takes the ORM path.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy.orm import Session

# Columns stored as JSON text on SQLite (PostgreSQL's driver parses them itself).
_JSON = {"targets", "params", "signed", "impact", "closed", "data", "claim"}
# Columns stored as datetimes (store/types.py UTCDateTime).
_TIMES = {"started_at", "ended_at"}


class Row:
    """One row of the store, its columns as attributes (as the ORM's models name them)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _value(column: str, value: Any) -> Any:
    if value is None:
        return None
    if column in _JSON and isinstance(value, str | bytes):
        return json.loads(value)
    if column in _TIMES:
        if isinstance(value, str):  # SQLite keeps naive UTC text
            value = datetime.fromisoformat(value)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if column == "over_standard":
        return bool(value)
    return value


@dataclass
class StoreReader:
    """A read-only connection to the store and the queries `sop status` makes."""

    conn: Any
    marker: str  # the driver's parameter marker: "?" (sqlite3) or "%s" (psycopg)

    def _rows(self, sql: str, *args: Any) -> list[Row]:
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql.replace("?", self.marker), args)
            names = [d[0] for d in cursor.description]
            return [Row({n: _value(n, v) for n, v in zip(names, r, strict=True)}) for r in cursor]
        finally:
            cursor.close()

    def request(self, request_id: int) -> Row | None:
        """Given an id, return the request's row (None when there is none)."""
        found = self._rows("SELECT * FROM requests WHERE id = ?", request_id)
        return found[0] if found else None

    def requests(self, requested_by: str | None = None, status: str | None = None) -> list[Row]:
        """Given the filters of `sop requests` (None: any), return the requests, oldest
        first."""
        where, args = [], []
        for column, value in (("requested_by", requested_by), ("status", status)):
            if value is not None:
                where.append(f"{column} = ?")
                args.append(value)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        return self._rows(f"SELECT * FROM requests{clause} ORDER BY id", *args)

    def approvals(self, request_id: int) -> list[Row]:
        """Given a request id, return its approvals in the order they were given."""
        return self._rows("SELECT * FROM approvals WHERE request_id = ? ORDER BY id", request_id)

    def runs(self, request_id: int) -> list[Row]:
        """Given a request id, return its runs, oldest first."""
        return self._rows("SELECT * FROM runs WHERE request_id = ? ORDER BY id", request_id)

    def step_records(self, run_id: int) -> list[Row]:
        """Given a run id, return its step records in the order they were written."""
        return self._rows("SELECT * FROM step_records WHERE run_id = ? ORDER BY id", run_id)

    def steps_of(self, request_id: int, steps: tuple[int, ...]) -> list[Row]:
        """Given a request id and step numbers, return the records of those steps in all
        of the request's runs, in the order they were written (gate_order.recorded)."""
        marks = ", ".join("?" for _ in steps)
        return self._rows(
            "SELECT s.* FROM step_records s JOIN runs r ON r.id = s.run_id "
            f"WHERE r.request_id = ? AND s.step_number IN ({marks}) ORDER BY s.id",
            request_id,
            *steps,
        )

    def newest_registry_version(self) -> int | None:
        """Return the newest registry version a signed request or approval recorded
        (Context.accepted_version: an older registry is a rollback)."""
        found = [
            row.v
            for table in ("requests", "approvals")
            for row in self._rows(f"SELECT MAX(registry_version) AS v FROM {table}")
            if row.v is not None
        ]
        return max(found) if found else None


def approvals_of(source: Session | StoreReader, request_id: int) -> Sequence[Any]:
    """Given a session or a reader and a request id, return its approvals in the order
    they were given."""
    if isinstance(source, StoreReader):
        return source.approvals(request_id)
    from sqlalchemy import select

    from sop_runner.store.models import Approval

    query = select(Approval).where(Approval.request_id == request_id).order_by(Approval.id)
    return source.scalars(query).all()


def steps_of(
    source: Session | StoreReader, request_id: int, steps: tuple[int, ...]
) -> Sequence[Any]:
    """Given a session or a reader, a request id and step numbers, return the records of
    those steps in all of the request's runs, in the order they were written."""
    if isinstance(source, StoreReader):
        return source.steps_of(request_id, steps)
    from sqlalchemy import select

    from sop_runner.store.models import Run, StepRecord

    query = (
        select(StepRecord)
        .join(Run, Run.id == StepRecord.run_id)
        .where(Run.request_id == request_id, StepRecord.step_number.in_(steps))
        .order_by(StepRecord.id)
    )
    return source.scalars(query).all()


def runs_of(source: Session | StoreReader, request_id: int) -> Sequence[Any]:
    """Given a session or a reader and a request id, return its runs, oldest first."""
    if isinstance(source, StoreReader):
        return source.runs(request_id)
    from sqlalchemy import select

    from sop_runner.store.models import Run

    return source.scalars(select(Run).where(Run.request_id == request_id).order_by(Run.id)).all()


def step_records_of(source: Session | StoreReader, run_id: int) -> Sequence[Any]:
    """Given a session or a reader and a run id, return its step records in the order
    they were written."""
    if isinstance(source, StoreReader):
        return source.step_records(run_id)
    from sqlalchemy import select

    from sop_runner.store.models import StepRecord

    query = select(StepRecord).where(StepRecord.run_id == run_id).order_by(StepRecord.id)
    return source.scalars(query).all()


def _sqlite(url: str) -> Any:
    import sqlite3
    from urllib.parse import quote

    path = url.removeprefix("sqlite:///").split("?", 1)[0]
    if not path or path == ":memory:":
        return None
    try:
        # Read-only: a status never writes, never creates the file nor waits for the
        # write lock (WAL readers do not block); the same 30 s as the ORM's engine.
        conn = sqlite3.connect(f"file:{quote(path)}?mode=ro", uri=True, timeout=30)
        conn.execute("SELECT 1 FROM requests LIMIT 1")
        conn.execute("SELECT 1 FROM approvals LIMIT 1")
        conn.execute("SELECT 1 FROM runs LIMIT 1")
        conn.execute("SELECT 1 FROM step_records LIMIT 1")
    except sqlite3.Error:
        return None
    return conn


def _postgresql(url: str) -> Any:
    import psycopg

    # SQLAlchemy's driver prefix is no part of libpq's URI.
    conninfo = "postgresql://" + url.split("://", 1)[1]
    try:
        conn = psycopg.connect(conninfo, connect_timeout=5, autocommit=True)
        conn.read_only = True
        for table in ("requests", "approvals", "runs", "step_records"):
            conn.execute(f"SELECT 1 FROM {table} LIMIT 1")
    except psycopg.Error:
        return None
    return conn


@contextmanager
def reader(url: str) -> Iterator[StoreReader | None]:
    """Given the store's URL, yield a read-only reader, or None when the store cannot be
    read this way (the caller then opens it through the ORM, which says why)."""
    if url.startswith("sqlite:///"):
        conn, marker = _sqlite(url), "?"
    elif url.split("://", 1)[0] in ("postgresql", "postgres", "postgresql+psycopg"):
        conn, marker = _postgresql(url), "%s"
    else:
        conn, marker = None, "?"
    if conn is None:
        yield None
        return
    try:
        yield StoreReader(conn, marker)
    finally:
        conn.close()
