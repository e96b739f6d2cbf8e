"""Procedure features: one module (or package) per procedure family.

Each module may define, and the core picks up without being edited:
- tables on ``sop_runner.store.models.Base`` (created with the rest of the store);
- ``RECORDERS``: dict of set_stats key -> writer(session, run_id, value) -> int;
- ``cli``: a ``typer.Typer`` added to `sop` under the name ``cli_name``.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType


@cache
def modules() -> tuple[ModuleType, ...]:
    """Return every procedure feature module, imported once."""
    return tuple(
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    )
