"""The validated catalog, cached by the content hash of its files (start-up time, issue 17).

Reading 22 procedure files and validating them against the JSON schema and the
cross-field rules costs more than the rest of `sop list`.  The result depends only
on the procedure files, the schema and the code that builds it, so it is kept as a
pickle named by the SHA-256 of all of them, in the catalog package's own
``__pycache__`` beside the compiled modules: written only by whoever can write the
package (root on an installed machine, the developer in a checkout), so it is
exactly as trusted as the ``.pyc`` files Python already loads from there.  A
caller who cannot write there validates every time; any change to any input
gives another name, so a stale cache is never read.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from sop_runner.kept_files import keep
from sop_runner.sha256 import sha256

if TYPE_CHECKING:
    from sop_runner.catalog.model import Catalog

PACKAGE_DIR = Path(__file__).resolve().parent
CACHE_DIR = PACKAGE_DIR / "__pycache__"
# The code that turns files into a Catalog: a change to it changes the key as well.
_CODE = ("cache.py", "loader.py", "model.py", "durations.py", "branches.py")


def key(directory: Path, schema: Path) -> str:
    """Given the procedures folder and the schema, return the SHA-256 of everything the
    validated catalog is made from (file names and bytes, schema, building code)."""
    digest = sha256()
    inputs = [*sorted(directory.glob("*.yaml")), schema, *(PACKAGE_DIR / n for n in _CODE)]
    for path in inputs:
        data = path.read_bytes()
        digest.update(f"{path.name}\0{len(data)}\0".encode())
        digest.update(data)
    return digest.hexdigest()


def cached(directory: Path, schema: Path, load: Callable[[Path], Catalog]) -> Catalog:
    """Given the procedures folder, the schema and the loader, return the catalog.

    Read from the cache when one of this content exists; otherwise load (and so
    validate) it, and keep the result when the package folder is writable.
    """
    path = CACHE_DIR / f"catalog-{key(directory, schema)[:40]}.pickle"
    try:
        with path.open("rb") as handle:
            return pickle.load(handle)  # as trusted as the package's .pyc files
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        pass
    catalog = load(directory)
    _write(path, catalog)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    """Keep the validated catalog (a package folder not ours to write: validate each time)."""
    keep(path, pickle.dumps(catalog, protocol=pickle.HIGHEST_PROTOCOL), "catalog-*.pickle")
