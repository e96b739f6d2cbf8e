"""What a caller asks the issuer, signed with the operator's own key, and how it travels.

One JSON object per line each way over the Unix socket.  The ask names the kind
(``step``: a step of a request; ``plan``: a check-mode preview; ``vendor``: a remote
user's key for a SOP 2.4 grant), the request, run and step, the operator the caller
acts as, the public key to certify and when it was asked; the operator's ed25519
signature covers all of it.  Together with SO_PEERCRED (the Unix user behind the
socket) the signature shows that the caller holds that operator's key: a petugas
cannot ask in the name of another.
"""

from __future__ import annotations

import json
import socket
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from sop_runner.audit import canonical
from sop_runner.errors import SopError
from sop_runner.i18n import _

KINDS = ("step", "plan", "vendor")
MAX_LINE = 64 * 1024
# An ask is answered at once; one older or newer than this is refused (no replays later).
SKEW_SECONDS = 300


@dataclass(frozen=True)
class Ask:
    """One request for a certificate (the signature empty until signed)."""

    kind: str
    operator: str
    public_key: str
    asked_at: str
    request: int | None = None
    run: int | None = None
    step: int | None = None
    targets: tuple[str, ...] = field(default_factory=tuple)
    signature: str = ""

    def payload(self) -> str:
        """Return the exact text the operator's signature covers (everything but itself)."""
        data = asdict(self)
        data.pop("signature")
        data["targets"] = list(self.targets)
        return canonical(data)

    def signed_with(self, sign: Any) -> Ask:
        """Given a function text → hex signature (the operator's key), return the signed ask."""
        return replace(self, signature=sign(self.payload()))

    def as_line(self) -> bytes:
        """Return the ask as one JSON line."""
        data = asdict(self)
        data["targets"] = list(self.targets)
        return (json.dumps(data) + "\n").encode()


def now_text() -> str:
    """Return now as the ask's time stamp (UTC, seconds)."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def _int_or_none(data: dict[str, Any], name: str) -> int | None:
    value = data.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SopError(
            _("ask: {name}: {value!r} is not allowed; expected a whole number").format(
                name=name, value=value
            )
        )
    return value


def parse_ask(line: bytes) -> Ask:
    """Given one received line, return the ask; raise SopError naming what is malformed."""
    try:
        data = json.loads(line.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise SopError(_("ask: not one JSON object on one line")) from None
    if not isinstance(data, dict):
        raise SopError(_("ask: not one JSON object on one line"))
    for name in ("kind", "operator", "public_key", "asked_at", "signature"):
        if not isinstance(data.get(name), str) or not data[name]:
            raise SopError(_("ask: {name}: missing or not text").format(name=name))
    if data["kind"] not in KINDS:
        raise SopError(
            _("ask: kind: {kind!r} is not allowed; allowed: {allowed}").format(
                kind=data["kind"], allowed=", ".join(KINDS)
            )
        )
    targets = data.get("targets") or []
    if not isinstance(targets, list) or not all(isinstance(t, str) for t in targets):
        raise SopError(_("ask: targets: expected a list of host names"))
    unknown = set(data) - {*Ask.__dataclass_fields__}
    if unknown:
        raise SopError(_("ask: {name}: unknown field").format(name=sorted(unknown)[0]))
    return Ask(
        kind=data["kind"],
        operator=data["operator"],
        public_key=data["public_key"],
        asked_at=data["asked_at"],
        request=_int_or_none(data, "request"),
        run=_int_or_none(data, "run"),
        step=_int_or_none(data, "step"),
        targets=tuple(targets),
        signature=data["signature"],
    )


def check_time(ask: Ask, now: datetime) -> None:
    """Given an ask and now, raise SopError unless it was asked within the allowed skew."""
    try:
        asked = datetime.fromisoformat(ask.asked_at)
    except ValueError:
        raise SopError(
            _("ask: asked_at: {asked_at!r} is not an ISO time").format(asked_at=ask.asked_at)
        ) from None
    if asked.tzinfo is None or abs((now - asked).total_seconds()) > SKEW_SECONDS:
        raise SopError(
            _(
                "ask: asked_at: {asked_at} is more than {seconds} s from the issuer's "
                "clock; ask again (an old ask is not answered twice)"
            ).format(asked_at=ask.asked_at, seconds=SKEW_SECONDS)
        )


def read_line(conn: socket.socket) -> bytes:
    """Given a connected socket, return one line (without its newline); raise SopError when
    the peer sends more than MAX_LINE bytes or closes first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        chunk = conn.recv(4096)
        if not chunk:
            raise SopError(_("issuer: the connection closed before a whole line came"))
        newline = chunk.find(b"\n")
        if newline >= 0:
            chunks.append(chunk[:newline])
            return b"".join(chunks)
        chunks.append(chunk)
        size += len(chunk)
        if size > MAX_LINE:
            raise SopError(_("issuer: a line longer than {size} bytes").format(size=MAX_LINE))
