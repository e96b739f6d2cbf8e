"""SHA-256 for the start-up caches' names, without loading OpenSSL (issue 17, start-up).

``hashlib`` loads OpenSSL's libcrypto, about 3 ms of a start that needs no other
cryptography (`sop list`, `sop show`); CPython carries its own SHA-256 (the same
digest), used when it is there.
"""

from __future__ import annotations

try:
    from _sha256 import sha256  # type: ignore[import-not-found]  # CPython 3.11
except ImportError:  # pragma: no cover - another Python
    try:
        from _sha2 import sha256  # type: ignore[import-not-found,no-redef]  # CPython 3.12+
    except ImportError:
        from hashlib import sha256  # type: ignore[assignment]

__all__ = ["sha256"]
