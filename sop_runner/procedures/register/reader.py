"""Reading the register from places that run inside another transaction: the inventory
plugin and the site's places, both read while a `sop` command may hold the store's
write lock (SQLite: BEGIN IMMEDIATE on another connection of the same process).

``engine_for`` creates the schema and restores the audit triggers in a write
transaction, which would wait for that very lock; a plain engine that only reads
(SQLite in WAL: readers never wait for the writer) does not.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.store.db import _normalize, redact


@contextmanager
def reading(url: str) -> Iterator[Session]:
    """Given the store's URL, yield a session for reads only (never committed).

    Raise SopError naming the URL (password hidden) when the store cannot be read.
    """
    from sqlalchemy.exc import SQLAlchemyError

    import sop_runner.procedures.register.models  # noqa: F401  the tables it reads

    url = _normalize(url)
    args = {"timeout": 30} if url.startswith("sqlite") else {"connect_timeout": 5}
    engine = create_engine(url, connect_args=args)
    try:
        with Session(engine) as session:
            yield session
            session.rollback()
    except SQLAlchemyError as error:
        raise SopError(
            _("register {url}: cannot be read ({error})").format(
                url=redact(url), error=str(error).splitlines()[0][:160]
            )
        ) from None
    finally:
        engine.dispose()
