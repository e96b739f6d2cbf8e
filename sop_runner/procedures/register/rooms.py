"""The register's rooms as the site's places (sop_runner/site.py; wired by the package's
start-up hook).  Read when a command loads the inventory, through a read-only
connection: a command's own write transaction may be open then.
"""

from __future__ import annotations

from typing import Any


def registered_places(ctx: Any = None) -> tuple[Any, ...]:
    """Return the register's rooms as places of the site, by name (empty: none yet)."""
    from sqlalchemy import select

    from sop_runner.context import Context
    from sop_runner.procedures.register.models import Room
    from sop_runner.site import Place
    from sop_runner.store.db import read_only

    context = ctx or Context()
    with read_only(context.engine) as conn:
        rows = conn.execute(select(Room.name, Room.title).order_by(Room.name)).all()
    return tuple(Place(name, title or name) for name, title in rows)
