"""The register's rooms as the site's places (sop_runner/site.py; wired by the package's
start-up hook).  Read whenever a command loads the inventory — `sop status` among them,
which must start without SQLAlchemy (issue 17) — so the rooms are read with the
database's own driver, read-only (sop_runner/store_reads.py); a command's own write
transaction may be open then, and a reader never waits for it.
"""

from __future__ import annotations

from typing import Any


def registered_places(ctx: Any = None) -> tuple[Any, ...]:
    """Return the register's rooms as places of the site, by name (empty: none yet).

    A store no command has made yet, or one made before the register had rooms, has
    none; reading never creates the store (it makes its own file, 0600).
    """
    from sop_runner.site import Place
    from sop_runner.store_reads import reader

    if ctx is None:
        from sop_runner.config import load_settings

        url = load_settings().db_url
    else:
        url = ctx.settings.db_url
    if not url.startswith(("sqlite:", "postgresql", "postgres:")):
        return _through_sqlalchemy(url)
    errors = _driver_errors(url)
    with reader(url) as found:
        if found is None:  # no store yet (or not one this driver reads): no rooms
            return ()
        cursor = found.conn.cursor()
        try:
            cursor.execute("SELECT name, title FROM register_rooms ORDER BY name")
            rows = list(cursor)
        except errors:  # no rooms table yet: a store made before the register had rooms
            return ()
        finally:
            cursor.close()
    return tuple(Place(name, title or name) for name, title in rows)


def _driver_errors(url: str) -> tuple[type[Exception], ...]:
    if url.startswith("sqlite:"):
        import sqlite3

        return (sqlite3.Error,)
    import psycopg

    return (psycopg.Error,)


def _through_sqlalchemy(url: str) -> tuple[Any, ...]:
    from sqlalchemy import inspect, select

    from sop_runner.procedures.register.models import Room
    from sop_runner.procedures.register.reader import reading
    from sop_runner.site import Place

    with reading(url) as session:
        if not inspect(session.connection()).has_table(Room.__tablename__):
            return ()
        rows = session.execute(select(Room.name, Room.title).order_by(Room.name)).all()
    return tuple(Place(name, title or name) for name, title in rows)
