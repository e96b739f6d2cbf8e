"""Writing a host's own files into its overlay upper layer (or its own root)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

ROOT = Path("/")


def ensure_dir(top: Path, rel: str, lower: Path = ROOT, mode: int | None = None) -> Path:
    """Given a layer top, a path inside it and its lower layer, return the directory.

    Directories that are created copy owner and mode from the lower layer so that the
    merged view keeps them (an upper directory's attributes win in an overlay).
    """
    parts = Path(rel.lstrip("/")).parts
    cur_top, cur_low = top, lower
    for part in parts:
        cur_top, cur_low = cur_top / part, cur_low / part
        if not cur_top.exists():
            cur_top.mkdir()
            if cur_low.exists():
                st = cur_low.stat()
                os.chown(cur_top, st.st_uid, st.st_gid)
                cur_top.chmod(st.st_mode & 0o7777)
    if mode is not None:
        cur_top.chmod(mode)
    return cur_top


def write(
    top: Path,
    rel: str,
    text: str | bytes,
    *,
    mode: int = 0o644,
    owner: tuple[int, int] = (0, 0),
    lower: Path = ROOT,
) -> Path:
    """Given a layer top, a path and content, return the written file's path."""
    rel = rel.lstrip("/")
    ensure_dir(top, str(Path(rel).parent), lower)
    path = top / rel
    if path.is_symlink():
        path.unlink()
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    os.chown(path, *owner)
    path.chmod(mode)
    return path


def copy_from_lower(top: Path, rel: str, lower: Path = ROOT) -> Path:
    """Given a layer top and a path, return the upper copy of the lower file (attrs kept)."""
    rel = rel.lstrip("/")
    ensure_dir(top, str(Path(rel).parent), lower)
    dst = top / rel
    shutil.copy2(lower / rel, dst)
    st = (lower / rel).stat()
    os.chown(dst, st.st_uid, st.st_gid)
    return dst


def make_opaque(path: Path) -> None:
    """Given an upper-layer directory, return once it hides the lower layer's contents."""
    os.setxattr(path, "trusted.overlay.opaque", b"y")
