"""Sessions of SSH certificates, read from an sshd log (SOP 2.4, the remote account log).

sshd writes one line when a certificate logs in, naming its key id and serial:

    2025-03-01T09:00:05+0700 srv1 sshd[812]: Accepted publickey for vendor from
    10.77.2.10 port 50412 ssh2: ED25519-CERT SHA256:… ID sop request 7 … (serial 91) CA …

and one when that connection ends (``Disconnected from user vendor 10.77.2.10 port
50412``).  A session is the pair, matched by the client's address and port.  Lines
start with a time: ISO 8601 (rsyslog's high-precision format, the lab) or syslog's
``Mar  1 09:00:05`` (the year of the reading is assumed).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_ISO = re.compile(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\s")
_SYSLOG = re.compile(r"^([A-Z][a-z]{2}\s+\d{1,2}\s\d{2}:\d{2}:\d{2})\s")
_ACCEPTED = re.compile(
    r"Accepted publickey for (?P<user>\S+) from (?P<source>\S+) port (?P<port>\d+) ssh2: "
    r"\S+ \S+ ID (?P<key_id>.+?) \(serial (?P<serial>\d+)\) CA "
)
_ENDED = re.compile(
    r"(?:Disconnected from user (?P<user>\S+) (?P<source>\S+) port (?P<port>\d+)"
    r"|Connection closed by user (?P<user2>\S+) (?P<source2>\S+) port (?P<port2>\d+))"
)


def line_time(line: str, year: int) -> str | None:
    """Given a log line and the year of the reading, return its time as ISO text (or None)."""
    match = _ISO.match(line)
    if match:
        text = match.group(1)
        if re.search(r"[+-]\d{4}$", text):  # +0700 → +07:00, which fromisoformat reads
            text = f"{text[:-2]}:{text[-2:]}"
        return datetime.fromisoformat(text.replace("Z", "+00:00")).isoformat()
    match = _SYSLOG.match(line)
    if match:
        moment = datetime.strptime(f"{year} {match.group(1)}", "%Y %b %d %H:%M:%S")
        return moment.isoformat()
    return None


def sessions(lines: list[str], key_ids: list[str], year: int) -> list[dict[str, Any]]:
    """Given log lines, the key ids asked for and the year, return their sessions in order.

    Each is {key_id, serial, user, source, port, opened_at, closed_at (None while open)}.
    """
    wanted = set(key_ids)
    found: list[dict[str, Any]] = []
    open_by_peer: dict[tuple[str, str], dict[str, Any]] = {}
    for line in lines:
        accepted = _ACCEPTED.search(line)
        if accepted and accepted.group("key_id") in wanted:
            session = {
                "key_id": accepted.group("key_id"),
                "serial": int(accepted.group("serial")),
                "user": accepted.group("user"),
                "source": accepted.group("source"),
                "port": int(accepted.group("port")),
                "opened_at": line_time(line, year),
                "closed_at": None,
            }
            found.append(session)
            open_by_peer[(session["source"], accepted.group("port"))] = session
            continue
        ended = _ENDED.search(line)
        if ended:
            source = ended.group("source") or ended.group("source2")
            port = ended.group("port") or ended.group("port2")
            session = open_by_peer.pop((source, port), None)
            if session is not None:
                session["closed_at"] = line_time(line, year)
    return found
