"""Everything a command needs, loaded lazily from the settings.

Nothing heavy is imported before it is used: `sop list` builds a Context for the
settings and the catalog alone, without the store (SQLAlchemy), the inventory
(Ansible) or the features (their tables).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from sop_runner.config import Settings, load_settings

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from sop_runner.catalog import Catalog
    from sop_runner.features import Registry as Features
    from sop_runner.gates import Trusted
    from sop_runner.inventory import Inventory
    from sop_runner.operators import Acting
    from sop_runner.trust.registry import Registry, RegistryOperator


@dataclass
class Context:
    settings: Settings = field(default_factory=load_settings)

    @cached_property
    def features(self) -> Features:
        """The features of this installation (entry points), loaded on first use.

        Tests may hand in others by assigning ``ctx.features``.
        """
        from sop_runner.features import installed

        return installed()

    @cached_property
    def catalog(self) -> Catalog:
        from sop_runner.catalog import load_catalog

        return load_catalog()

    @cached_property
    def inventory(self) -> Inventory:
        from sop_runner.inventory import load_inventory

        return load_inventory(self.settings.inventory)

    @cached_property
    def registry(self) -> Registry:
        """The current operators registry, verified against the trust root's keys.

        A registry older than a version already used in a signed action of the
        store is refused (rollback), as is one whose signatures do not hold.
        """
        from sop_runner.trust import registry as registries

        return registries.current(self.settings.trust, accepted_version=self.accepted_version())

    def accepted_version(self) -> int | None:
        """Return the newest registry version a signed request or approval recorded."""
        from sqlalchemy import func, select

        from sop_runner.store.db import read_only
        from sop_runner.store.models import Approval, Request

        # Read-only: the caller may be inside a write transaction of its own.
        with read_only(self.engine) as conn:
            versions = [
                conn.scalar(select(func.max(Request.registry_version))),
                conn.scalar(select(func.max(Approval.registry_version))),
            ]
        found = [v for v in versions if v is not None]
        return max(found) if found else None

    @cached_property
    def trusted(self) -> Trusted:
        """The registry in force and its history, for checking signatures and roles."""
        from sop_runner.gates import Trusted
        from sop_runner.trust import registry as registries

        current = self.registry
        history = registries.history(self.settings.trust, accepted_version=current.version)
        return Trusted(current, tuple(history))

    @property
    def operators(self) -> dict[str, RegistryOperator]:
        """The operators of the current registry, by name."""
        return {operator.name: operator for operator in self.registry.operators}

    def actor(self, name: str | None) -> Acting:
        """Given an --as name (or None for the Unix user), return who acts, key checked."""
        from sop_runner.operators import Acting, acting_operator

        registry = self.registry
        operator = acting_operator(registry, self.settings.key_dir, name)
        return Acting(operator, registry.version, self.settings.key_dir, self.settings.trust)

    @property
    def engine(self) -> Engine:
        from sop_runner.store import engine_for

        # The store defines the features' tables before it creates the schema.
        return engine_for(self.settings.db_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        from sop_runner.store import session_scope

        with session_scope(self.settings.db_url) as session:
            yield session
