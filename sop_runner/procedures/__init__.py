"""Procedure features: one module (or package) per procedure family.

Each module may define, and the core picks up without being edited:
- tables on ``sop_runner.store.models.Base`` (created with the rest of the store);
- ``RECORDERS``: dict of set_stats key -> writer(session, run_id, value) -> int;
- ``cli``: a ``typer.Typer`` added to `sop` under the name ``cli_name``;
- ``DERIVED_PARAMS``: dict of procedure id -> function(inventory dir, targets,
  params) -> the parameters `sop request` computes itself (never typed in);
- ``ON_STARTUP``: list of functions() -> None that `sop` calls before any
  command (cheap when there is nothing to do; they say what they did themselves).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import ModuleType
from typing import Any

Deriver = Callable[[Path, list[str], dict[str, Any]], dict[str, Any]]


@cache
def modules() -> tuple[ModuleType, ...]:
    """Return every procedure feature module, imported once."""
    return tuple(
        importlib.import_module(f"{__name__}.{info.name}")
        for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name)
    )


def derivers(procedure_id: str) -> list[Deriver]:
    """Given a procedure id, return the functions that compute some of its parameters."""
    return [
        module.DERIVED_PARAMS[procedure_id]
        for module in modules()
        if procedure_id in getattr(module, "DERIVED_PARAMS", {})
    ]


def startup_hooks() -> list[Callable[[], None]]:
    """Return the functions the features want called at every start of `sop`."""
    return [hook for module in modules() for hook in getattr(module, "ON_STARTUP", [])]
