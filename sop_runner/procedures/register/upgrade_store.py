"""Bring a store made before issue 18 up to the register's columns.

The store creates missing tables by itself (``create_all``) but never alters an
existing one: ``register_devices`` of an older store lacks the columns issue 18
added (code, kind, vendor, …).  ``missing_columns`` says which; ``add_columns``
adds them (nullable or with their default, without UNIQUE, which SQLite cannot
add to a table: the register checks a code's uniqueness itself).
"""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from sop_runner.procedures.register.models import Device


def missing_columns(engine: Engine) -> list[str]:
    """Given the store's engine, return the register_devices columns its table lacks."""
    have = {c["name"] for c in inspect(engine).get_columns(Device.__tablename__)}
    return [c.name for c in Device.__table__.columns if c.name not in have]


def add_columns(engine: Engine) -> list[str]:
    """Given the store's engine, add the missing register_devices columns; return them."""
    missing = missing_columns(engine)
    with engine.begin() as conn:
        for name in missing:
            column = Device.__table__.columns[name]
            kind = column.type.compile(dialect=engine.dialect)
            default = column.default.arg if column.default is not None else None
            clause = ""
            if isinstance(default, int | str) and not callable(default):
                clause = (
                    f" DEFAULT {default}" if isinstance(default, int) else f" DEFAULT '{default}'"
                )
            # Names and types come from our own table definition, never from input.
            conn.execute(
                text(f"ALTER TABLE {Device.__tablename__} ADD COLUMN {name} {kind}{clause}")
            )
    return missing
