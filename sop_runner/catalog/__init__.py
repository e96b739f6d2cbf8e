"""The SOP catalog: the 22 procedures of the document as validated data.

Usage::

    from sop_runner.catalog import load_catalog
    procedure = load_catalog().get("3.1")
"""

from sop_runner.catalog.durations import StandardTime
from sop_runner.catalog.loader import PROCEDURES_DIR, SCHEMA_FILE, load_catalog
from sop_runner.catalog.model import (
    GATE_WHEN,
    KINDS,
    ROLES,
    SUBJECTS,
    Catalog,
    Procedure,
    Step,
    Text,
)

__all__ = [
    "GATE_WHEN",
    "KINDS",
    "PROCEDURES_DIR",
    "ROLES",
    "SCHEMA_FILE",
    "SUBJECTS",
    "Catalog",
    "Procedure",
    "StandardTime",
    "Step",
    "Text",
    "load_catalog",
]
