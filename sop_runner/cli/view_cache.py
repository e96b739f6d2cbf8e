"""The views of `sop list` and `sop show`, kept between starts (issue 17, start-up).

A catalog view is made from the procedure files, the catalog's code, the views' code
and the language's catalogs only: importing the catalog's model and reading its pickle
costs about a tenth of `sop list`'s start.  The view is kept as JSON (it is what
``--json`` prints) in the package's own ``__pycache__``, named by the SHA-256 of all
of those files, the command and the language (as sop_runner/catalog/cache.py keeps the
validated catalog): written only by whoever can write the package, as trusted as the
``.pyc`` files beside it; any edited file gives another name, so a stale view is never
read.  Only a view that was made is kept: an unknown procedure is refused each time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Any

from sop_runner.kept_files import keep
from sop_runner.sha256 import sha256

PACKAGE = Path(__file__).resolve().parent.parent
CACHE_DIR = PACKAGE / "__pycache__"
# Everything a catalog view is made from, under the package.
SOURCES = ("catalog", "cli/views.py", "i18n.py", "locale", "sha256.py", "cli/view_cache.py")
KEEP = 128  # the views of two languages, every procedure, JSON or not


@cache
def _digest() -> str:
    """Return the SHA-256 of every file the views are made from (names and bytes)."""
    digest = sha256()
    for source in SOURCES:
        path = PACKAGE / source
        files = [path] if path.is_file() else []
        for folder, dirs, names in os.walk(path):  # walked, not globbed: no pattern compiled
            dirs[:] = sorted(d for d in dirs if d != "__pycache__")
            files += [Path(folder) / n for n in sorted(names)]
        for file in files:
            data = file.read_bytes()
            digest.update(f"{file.relative_to(PACKAGE)}\0{len(data)}\0".encode())
            digest.update(data)
    return digest.hexdigest()


def kept(command: tuple[str, ...], lang: str, make: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """Given a command and its arguments, the language and how to make its view, return the
    view: kept from an earlier start, or made (and kept when the package may be written).

    Raise what ``make`` raises (an unknown procedure), keeping nothing.
    """
    name = sha256("\0".join([_digest(), lang, *command]).encode()).hexdigest()[:40]
    path = CACHE_DIR / f"view-{name}.json"
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return found
    except (OSError, ValueError):
        pass
    view = make()
    _keep(path, view)
    return view


def _keep(path: Path, view: dict[str, Any]) -> None:
    """Keep a view, the KEEP newest (a package folder not ours to write: made each start)."""
    keep(path, json.dumps(view, ensure_ascii=False).encode("utf-8"), "view-*.json", KEEP)
