"""Asking the issuer: one ask, one answer, over its Unix socket."""

from __future__ import annotations

import json
import socket
from pathlib import Path
from typing import Any

from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer.ask import Ask, read_line

TIMEOUT = 60.0


def ask_issuer(path: Path, ask: Ask, timeout: float = TIMEOUT) -> dict[str, Any]:
    """Given the issuer's socket and a signed ask, return its answer (a certificate).

    Raise SopError naming the socket when the issuer cannot be reached, and with the
    issuer's own one line when it refuses.
    """
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(timeout)
            conn.connect(str(path))
            conn.sendall(ask.as_line())
            line = read_line(conn)
    except OSError as exc:
        raise SopError(
            _(
                "issuer {path}: not reachable ({reason}); "
                "without it no host can be reached (docs/security.md: the issuer)"
            ).format(path=path, reason=exc.strerror or exc.__class__.__name__)
        ) from None
    try:
        reply = json.loads(line)
    except ValueError:
        raise SopError(
            _("issuer {path}: answered something that is not JSON").format(path=path)
        ) from None
    if not isinstance(reply, dict) or not reply.get("ok"):
        error = reply.get("error") if isinstance(reply, dict) else None
        raise SopError(_("issuer refused: {reason}").format(reason=error or _("no reason given")))
    return reply
