"""The register's rooms as the site's places (sop_runner/site.py; wired by the package's
start-up hook).  Read when a command loads the inventory, by a plain reader
(reader.py): a command's own write transaction may be open then.
"""

from __future__ import annotations

from typing import Any


def registered_places(ctx: Any = None) -> tuple[Any, ...]:
    """Return the register's rooms as places of the site, by name (empty: none yet)."""
    from sqlalchemy import inspect, select

    from sop_runner.procedures.register.models import Room
    from sop_runner.procedures.register.reader import reading
    from sop_runner.site import Place

    if ctx is None:
        from sop_runner.config import load_settings

        url = load_settings().db_url
    else:
        url = ctx.settings.db_url
    if _missing_sqlite_file(url):
        # Reading must not create the store: the store makes its own file, private (0600).
        return ()
    with reading(url) as session:
        # A store no command has opened yet (or one made before the register had rooms)
        # has no rooms table: it has no rooms, and the site keeps site.yml's places.
        if not inspect(session.connection()).has_table(Room.__tablename__):
            return ()
        rows = session.execute(select(Room.name, Room.title).order_by(Room.name)).all()
    return tuple(Place(name, title or name) for name, title in rows)


def _missing_sqlite_file(url: str) -> bool:
    from pathlib import Path

    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    database = parsed.database or ""
    return (
        parsed.get_backend_name() == "sqlite"
        and database not in ("", ":memory:")
        and not Path(database).exists()
    )
