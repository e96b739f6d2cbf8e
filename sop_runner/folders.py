"""The caller's own folders (the data dir: reports, runner artifacts) open to nobody else."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from sop_runner.errors import SopError


def private_folder(path: Path) -> Path:
    """Given a folder of the caller's own, return it once it exists with mode 0700.

    A missing folder is created 0700 (its parents as the umask has them).  One of
    ours that others may enter is tightened to 0700 with one line on stderr (an
    older sop made it under the default umask; closing it loses nothing).  Raise
    SopError if it belongs to someone else and is open to others: what it holds
    may have been read or replaced, and only its owner can close it.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.mkdir(mode=0o700, exist_ok=True)
    except OSError as exc:
        raise SopError(f"data folder {path}: cannot create it ({exc.strerror})") from None
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return path
    if info.st_uid != os.geteuid():
        raise SopError(
            f"data folder {path}: belongs to uid {info.st_uid} and is open to others "
            f"(mode {mode:04o}); its owner must run `chmod 700 {path}`"
        )
    path.chmod(0o700)
    print(
        f"sop: data folder {path} was open to others (mode {mode:04o}); tightened to 0700",
        file=sys.stderr,
    )
    return path
