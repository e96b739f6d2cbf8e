"""Files `sop` keeps between starts in the package's __pycache__ (the validated catalog,
the compiled gettext catalog, the features' entry points, the views of `sop list`/`show`,
the trust documents found valid): each named by the content it was made from, written
whole or not at all, the oldest of its kind removed.

Every start reads and few write, so nothing here is imported until a file is written.
"""

from __future__ import annotations

import os
from pathlib import Path


def keep(path: Path, content: bytes, kind: str, most: int = 1) -> None:
    """Given a file's path, its bytes, the glob of its kind (``catalog-*.pickle``) and how
    many of that kind to keep, write it atomically (0644), removing the oldest of its kind.

    A folder not ours to write (an installed package) is no error: the caller makes the
    content again at each start.
    """
    import tempfile  # only when writing

    try:
        path.parent.mkdir(exist_ok=True)
        older = sorted(path.parent.glob(kind), key=_mtime)
        for old in older[: max(0, len(older) - most + 1)]:
            old.unlink(missing_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{kind.split('*', 1)[0]}")
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except OSError:
        return


def _mtime(path: Path) -> float:
    """Given a kept file, return when it was written (0 when another start removed it)."""
    try:
        return path.stat().st_mtime
    except OSError:
        return 0.0
