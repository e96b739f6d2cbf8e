"""A small *simulator* of the RouterOS API (port 8728 protocol), stateful, for tests.

It is not RouterOS. It speaks the API's wire format (length-prefixed words,
sentences, ``!re``/``!done``/``!trap``), accepts the plain ``/login``, and keeps
``/ip/firewall/address-list`` and ``/ip/firewall/filter`` as tables with
``print``, ``add``, ``set`` and ``remove``.  Address-list entries with a
``timeout`` disappear when it runs out, as RouterOS documents for dynamic
entries, and ``print`` shows the time left.  It filters no packets.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from typing import Any

_DUR = re.compile(r"(\d+)(w|d|h|ms|m|s)")
_UNITS = {"w": 604800, "d": 86400, "h": 3600, "m": 60, "s": 1, "ms": 0.001}


def _seconds(text: str) -> float:
    return float(sum(int(n) * _UNITS[u] for n, u in _DUR.findall(text)))


def _fmt(seconds: float) -> str:
    total = max(0, int(seconds))
    h, rest = divmod(total, 3600)
    m, s = divmod(rest, 60)
    return (f"{h}h" if h else "") + (f"{m}m" if m else "") + f"{s}s"


def _encode_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    if n < 0x4000:
        return (n | 0x8000).to_bytes(2, "big")
    if n < 0x200000:
        return (n | 0xC00000).to_bytes(3, "big")
    return (n | 0xE0000000).to_bytes(4, "big")


def _read_len(sock: socket.socket) -> int:
    first = _recv(sock, 1)[0]
    if first < 0x80:
        return first
    if first < 0xC0:
        return ((first & 0x3F) << 8) | _recv(sock, 1)[0]
    if first < 0xE0:
        return ((first & 0x1F) << 16) | int.from_bytes(_recv(sock, 2), "big")
    return ((first & 0x0F) << 24) | int.from_bytes(_recv(sock, 3), "big")


def _recv(sock: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise ConnectionError
        data += chunk
    return data


class RouterOsSim:
    """Given nothing, serve a stateful RouterOS API simulator on 127.0.0.1 (a free port)."""

    def __init__(self, user: str = "sop", password: str = "rahasia") -> None:
        self.user, self.password = user, password
        self.tables: dict[str, list[dict[str, Any]]] = {
            "/ip/firewall/address-list": [],
            "/ip/firewall/filter": [
                {
                    ".id": "*1",
                    "chain": "forward",
                    "action": "accept",
                    "connection-state": "established,related",
                },
                {".id": "*2", "chain": "forward", "action": "drop"},
            ],
        }
        self.next_id = 100
        self.lock = threading.Lock()
        self.server = socket.socket()
        self.server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen()
        self.port = self.server.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def close(self) -> None:
        self.server.close()

    def _expire(self) -> None:
        now = time.monotonic()
        rows = self.tables["/ip/firewall/address-list"]
        rows[:] = [r for r in rows if r.get("_until") is None or r["_until"] > now]

    def entries(self) -> list[dict[str, Any]]:
        """Return the address-list entries as `print` would show them."""
        with self.lock:
            self._expire()
            return [self._show(r) for r in self.tables["/ip/firewall/address-list"]]

    def _show(self, row: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if not k.startswith("_")}
        if row.get("_until") is not None:
            out["timeout"] = _fmt(row["_until"] - time.monotonic())
            out["dynamic"] = "true"
        return out

    def add_by_hand(self, table: str, **fields: str) -> None:
        with self.lock:
            self._add(table, fields)

    def _add(self, table: str, fields: dict[str, str]) -> str:
        self.next_id += 1
        row: dict[str, Any] = {".id": f"*{self.next_id:X}"}
        before = fields.pop("place-before", None)
        for key, value in fields.items():
            if key == "timeout":
                row["_until"] = time.monotonic() + _seconds(value)
            else:
                row[key] = value
        rows = self.tables[table]
        index = next((i for i, r in enumerate(rows) if r[".id"] == before), len(rows))
        rows.insert(index, row)
        return str(row[".id"])

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            threading.Thread(target=self._session, args=(conn,), daemon=True).start()

    def _send(self, conn: socket.socket, *words: str) -> None:
        data = b"".join(_encode_len(len(w.encode())) + w.encode() for w in words) + b"\x00"
        conn.sendall(data)

    def _session(self, conn: socket.socket) -> None:
        logged_in = False
        try:
            while True:
                words = []
                while True:
                    n = _read_len(conn)
                    if n == 0:
                        break
                    words.append(_recv(conn, n).decode())
                if not words:
                    continue
                cmd, args = words[0], {}
                for word in words[1:]:
                    if word.startswith("="):
                        key, _, value = word[1:].partition("=")
                        args[key] = value
                if cmd == "/login":
                    if args.get("name") == self.user and args.get("password") == self.password:
                        logged_in = True
                        self._send(conn, "!done")
                    else:
                        self._send(conn, "!trap", "=message=invalid user name or password (6)")
                        self._send(conn, "!done")
                    continue
                if not logged_in:
                    self._send(conn, "!trap", "=message=not logged in")
                    self._send(conn, "!done")
                    continue
                self._command(conn, cmd, args)
        except (ConnectionError, OSError):
            conn.close()

    def _command(self, conn: socket.socket, cmd: str, args: dict[str, str]) -> None:
        table, _, verb = cmd.rpartition("/")
        with self.lock:
            if table not in self.tables:
                self._send(conn, "!trap", "=message=no such command prefix")
                self._send(conn, "!done")
                return
            self._expire()
            rows = self.tables[table]
            if verb == "print":
                for row in rows:
                    self._send(conn, "!re", *[f"={k}={v}" for k, v in self._show(row).items()])
                self._send(conn, "!done")
            elif verb == "add":
                new_id = self._add(table, dict(args))
                self._send(conn, "!done", f"=ret={new_id}")
            elif verb == "set":
                row = next((r for r in rows if r[".id"] == args.get(".id")), None)
                if row is None:
                    self._send(conn, "!trap", "=message=no such item")
                else:
                    for key, value in args.items():
                        if key == "timeout":
                            row["_until"] = time.monotonic() + _seconds(value)
                        elif key != ".id":
                            row[key] = value
                self._send(conn, "!done")
            elif verb == "remove":
                ids = set(args.get(".id", "").split(","))
                missing = ids - {r[".id"] for r in rows}
                if missing:
                    self._send(conn, "!trap", "=message=no such item")
                rows[:] = [r for r in rows if r[".id"] not in ids]
                self._send(conn, "!done")
            else:
                self._send(conn, "!trap", f"=message=unknown command {verb}")
                self._send(conn, "!done")
