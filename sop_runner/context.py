"""Everything a command needs, loaded lazily from the settings."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cached_property

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from sop_runner.catalog import Catalog, load_catalog
from sop_runner.config import Settings, load_settings
from sop_runner.features import Registry, installed
from sop_runner.inventory import Inventory, load_inventory
from sop_runner.operators import Operator, load_operators
from sop_runner.store import engine_for, session_scope


@dataclass
class Context:
    settings: Settings = field(default_factory=load_settings)
    # The features of this installation (entry points); tests may hand in others.
    features: Registry = field(default_factory=installed)

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog()

    @cached_property
    def inventory(self) -> Inventory:
        return load_inventory(self.settings.inventory)

    @cached_property
    def operators(self) -> dict[str, Operator]:
        return load_operators(self.settings.operators_file)

    @property
    def engine(self) -> Engine:
        # The features' tables are defined once the registry is loaded (field above).
        return engine_for(self.settings.db_url)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.settings.db_url) as session:
            yield session
