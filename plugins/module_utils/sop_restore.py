"""File restore of SOP 7.3: where a restore may write, and the check of what it wrote.

The check streams the snapshot (``restic dump SNAPSHOT /`` as a tar) and
compares each file's SHA-256 with the file restored on disk, so nothing of the
snapshot is held in memory or written twice.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import tarfile
from typing import IO, Any

from ansible.module_utils.sop_restic import Restic, ResticError, count_extensions

# More mismatches than this say the same thing; the result stays readable.
MAX_MISMATCHES = 50


def refusal(what: str) -> str:
    """Given what holds live data at the destination, return why the restore is refused."""
    return (
        f"restore refused: {what}; restoring over live data needs overwrite=true "
        "(sop: --param overwrite=true) in an approved request. Nothing was changed."
    )


def within(path: str, roots: list[str]) -> bool:
    """Given a path and root paths, return whether the path is one of them or under one."""
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def occupied(dest: str) -> bool:
    """Given a destination, return whether it holds data (a non-empty directory or a file)."""
    if os.path.isdir(dest) and not os.path.islink(dest):
        return bool(os.listdir(dest))
    return os.path.lexists(dest)


def _sha256_of_file(path: str) -> str | None:
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return None
    return digest.hexdigest()


def _sha256_of_stream(handle: IO[bytes] | None) -> str:
    digest = hashlib.sha256()
    if handle is not None:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def restored_files(
    restic: Restic, snapshot_id: str, roots: list[str], target: str, verify: bool
) -> dict[str, Any]:
    """Given a restored snapshot, its roots and the restore target, return what was restored.

    Returns ``file_count``, ``total_size``, ``file_types`` and ``mismatches``
    (restored files whose content differs from the snapshot; only compared
    when ``verify``).  Raise ResticError if restic cannot dump the snapshot.
    """
    names: list[str] = []
    total = 0
    mismatches: list[str] = []
    dump = restic.popen("dump", snapshot_id, "/", stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert dump.stdout is not None
    unreadable = ""
    try:
        with tarfile.open(fileobj=dump.stdout, mode="r|") as tar:
            for member in tar:
                if not member.isfile():
                    continue
                original = "/" + member.name.lstrip("/")
                if not within(original, roots):
                    continue
                restored = original if target == "/" else os.path.join(target, original.lstrip("/"))
                names.append(restored)
                total += member.size
                if not verify:
                    continue
                digest = _sha256_of_stream(tar.extractfile(member))
                if _sha256_of_file(restored) != digest and len(mismatches) < MAX_MISMATCHES:
                    mismatches.append(restored)
    except tarfile.TarError as exc:
        # A dump cut short (restic failed on the way) is no tar stream to the end.
        unreadable = f"; its output is no complete tar ({exc})"
        dump.stdout.close()
    err = dump.stderr.read().decode(errors="replace") if dump.stderr else ""
    if dump.wait() != 0 or unreadable:
        raise ResticError(f"restic dump (verification) failed: {err.strip()[-400:]}{unreadable}")
    return {
        "file_count": len(names),
        "total_size": total,
        "file_types": count_extensions(names),
        "mismatches": mismatches,
    }
