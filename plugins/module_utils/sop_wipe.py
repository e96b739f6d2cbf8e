"""Erase and read back a block device: the writer and the verifier of disk_wipe (SOP 5.1).

Nothing here decides whether a device may be wiped (sop_blockdev does); these
functions write zeros or ask for a secure erase, and read the result back.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import mmap
import os
import random
import struct
from typing import Any

from ansible.module_utils.sop_blockdev import Refused  # type: ignore[import-not-found]

BLKGETSIZE64 = 0x80081272
BLKSECDISCARD = 0x127D


class WriteFailed(OSError):
    """A write stopped part way; ``written`` says how many bytes had been written."""

    def __init__(self, error: OSError, written: int) -> None:
        super().__init__(error.errno, f"{error.strerror or error} at byte {written}")
        self.written = written


def choose_method(requested: str, media: dict[str, Any], secure_erase: bool) -> dict[str, str]:
    """Given the requested method and the medium, return the NIST type and technique to use."""
    clear = {"type": "Clear", "technique": "overwrite (one pass, zeros)", "name": "clear"}
    purge = {
        "type": "Purge",
        "technique": "block erase (BLKSECDISCARD secure discard)",
        "name": "purge",
    }
    if requested == "clear":
        return clear
    if requested == "purge":
        if not secure_erase:
            raise Refused(
                f"purge: {media.get('media_type', 'the device')} does not support secure erase "
                "(BLKSECDISCARD); use method=clear"
            )
        return purge
    ssd = not media.get("rotational") and not media.get("loop")
    return purge if ssd and secure_erase else clear


def sample_offsets(size: int, chunk: int, percent: int, seed: int) -> list[int]:
    """Given a device size, return sorted chunk offsets to read: first, last and a random share."""
    count = max(1, -(-size // chunk))
    wanted = max(2, -(-count * max(1, min(percent, 100)) // 100))
    chosen = {0, count - 1}
    rng = random.Random(seed)
    pool = list(range(count))
    rng.shuffle(pool)
    for index in pool:
        if len(chosen) >= min(wanted, count):
            break
        chosen.add(index)
    return sorted(i * chunk for i in chosen)


def sha256_text(text: str) -> str:
    """Given a log text, return its SHA-256 hex digest."""
    return hashlib.sha256(text.encode()).hexdigest()


def device_size(fd: int) -> int:
    """Given a block device descriptor, return its size in bytes."""
    buf = fcntl.ioctl(fd, BLKGETSIZE64, b"\0" * 8)
    return int(struct.unpack("Q", buf)[0])


def open_exclusive(path: str, flags: int) -> int:
    """Given a device and open flags, return an O_EXCL descriptor; raise Refused if busy."""
    try:
        return os.open(path, flags | os.O_EXCL)
    except OSError as exc:
        if exc.errno == errno.EBUSY:
            raise Refused(
                f"device {path}: busy (the kernel refuses exclusive use: mounted or held)"
            ) from None
        raise Refused(f"device {path}: cannot open ({exc.strerror})") from None


def secure_erase_supported(fd: int, size: int) -> bool:
    """Return whether the device accepts BLKSECDISCARD (tried on an empty range only)."""
    try:
        fcntl.ioctl(fd, BLKSECDISCARD, struct.pack("QQ", 0, 0))
    except OSError:
        return False
    return size > 0


def overwrite_zeros(fd: int, size: int, chunk: int) -> int:
    """Given an exclusive O_DIRECT descriptor, overwrite [0, size) with zeros; return bytes.

    Raise WriteFailed, carrying the bytes written so far, if a write fails.
    """
    buffer = mmap.mmap(-1, chunk)  # page-aligned, zero-filled
    view = memoryview(buffer)
    written = 0
    try:
        while written < size:
            length = min(chunk, size - written)
            try:
                done = os.pwrite(fd, view[:length], written)
            except OSError as exc:
                raise WriteFailed(exc, written) from exc
            if done <= 0:
                raise WriteFailed(OSError(errno.EIO, "short write"), written)
            written += done
        os.fsync(fd)
    finally:
        view.release()
        buffer.close()
    return written


def read_back(
    fd: int, size: int, chunk: int, offsets: list[int] | None = None
) -> tuple[int, int, int | None]:
    """Given a descriptor, read it back; return (bytes read, non-zero bytes, first bad offset)."""
    buffer = mmap.mmap(-1, chunk)
    view = memoryview(buffer)
    zeros = bytes(chunk)
    read = bad = 0
    first_bad: int | None = None
    positions = offsets if offsets is not None else range(0, size, chunk)
    try:
        for offset in positions:
            length = min(chunk, size - offset)
            got = os.preadv(fd, [view[:length]], offset)
            if got != length:
                raise OSError(errno.EIO, f"short read at byte {offset}")
            read += got
            data = buffer[:length]
            if data != zeros[:length]:
                nonzero = length - data.count(0)
                bad += nonzero
                if first_bad is None:
                    first_bad = offset + next(i for i, b in enumerate(data) if b)
    finally:
        view.release()
        buffer.close()
    return read, bad, first_bad


def verify(fd: int, size: int, chunk: int, params: dict[str, Any]) -> dict[str, Any]:
    """Given a wiped device, read it back as params say (full or sample); return the finding."""
    if params["verify"] == "full":
        offsets = None
        how = "full read-back, compared with zeros"
    else:
        seed = int.from_bytes(os.urandom(4), "big")
        offsets = sample_offsets(size, chunk, params["sample_percent"], seed)
        how = (
            f"sampling: {len(offsets)} chunks of {chunk} bytes "
            f"({params['sample_percent']} %, first and last included, seed {seed}), "
            "compared with zeros"
        )
    got, bad, first_bad = read_back(fd, size, chunk, offsets)
    return {
        "method": how,
        "bytes_read": got,
        "mismatched_bytes": bad,
        "first_mismatch_offset": first_bad,
        "passed": bad == 0 and (offsets is not None or got == size),
    }
