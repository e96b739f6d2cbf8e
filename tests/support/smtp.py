"""A real SMTP server on loopback that keeps what it receives: the lab's mail sink.

Notifications (sop_runner/notify.py) go out by mail through apprise; tests start
this sink (aiosmtpd, a real SMTP implementation), point ``site.yml``'s ``notify``
at it and read the messages it took.
"""

from __future__ import annotations

import email
import email.policy
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller


@dataclass
class SmtpSink:
    """The messages an SMTP server on 127.0.0.1:``port`` received, in order."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    def url(self, to: str = "pj@diskominfo.lab", sender: str = "sop@diskominfo.lab") -> str:
        """Return the apprise URL that sends plain (no TLS, no login) mail to this sink."""
        return f"mailto://127.0.0.1:{self.port}?from={sender}&to={to}&mode=insecure"

    def wait(self, count: int = 1, timeout: float = 10.0) -> list[EmailMessage]:
        """Return the messages once ``count`` arrived; raise AssertionError after ``timeout``."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.messages) >= count, (
            f"{len(self.messages)} mail(s) arrived, {count} expected"
        )
        return self.messages


class _Keep:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.sink.messages.append(message)  # type: ignore[arg-type]
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def smtp_sink() -> Iterator[SmtpSink]:
    """Yield a running SMTP sink on loopback; stop it afterwards."""
    sink = SmtpSink(port=_free_port())
    controller = Controller(_Keep(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()
