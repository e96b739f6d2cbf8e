"""The caller's own folders (the data dir: reports, runner artifacts) open to nobody else."""

from __future__ import annotations

import os
import stat
import sys
from pathlib import Path

from sop_runner.errors import SopError
from sop_runner.i18n import _


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
        raise SopError(
            _("data folder {path}: cannot create it ({reason})").format(
                path=path, reason=exc.strerror
            )
        ) from None
    info = path.stat()
    mode = stat.S_IMODE(info.st_mode)
    if not mode & 0o077:
        return path
    if info.st_uid != os.geteuid():
        raise SopError(
            _(
                "data folder {path}: belongs to uid {uid} and is open to others "
                "(mode {mode}); its owner must run `chmod 700 {path}`"
            ).format(path=path, uid=info.st_uid, mode=f"{mode:04o}")
        )
    path.chmod(0o700)
    print(
        "sop: "
        + _("data folder {path} was open to others (mode {mode}); tightened to 0700").format(
            path=path, mode=f"{mode:04o}"
        ),
        file=sys.stderr,
    )
    return path
