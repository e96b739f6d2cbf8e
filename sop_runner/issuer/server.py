"""The issuer daemon: a root process on a Unix socket that alone reads the CA key.

``python -m sop_runner.issuer serve --trust-file /etc/sop-pusatdata/trust.yml`` (a
systemd unit in production, see docs/security.md; the lab fixture in tests).  Its
settings come only from the trust file's ``issuer:`` part, read again for every ask
(root edits the trust file, the next ask follows it; the socket stays where it was
bound).  Each connection carries one ask and gets one answer; the kernel names the
caller (SO_PEERCRED).  Every certificate issued and every refusal goes to the
issuer's own log (root, 0600: a JSON line each) and to the store's audit trail
(``certificate.issued`` / ``certificate.refused`` by ``issuer``), which the witness
anchors.
"""

from __future__ import annotations

import contextlib
import grp
import json
import os
import signal
import socket
import stat
import struct
import threading
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import load_ssh_private_key

from sop_runner import audit
from sop_runner.config import REPO_ROOT, Settings
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.issuer import certs
from sop_runner.issuer.ask import Ask, parse_ask, read_line
from sop_runner.issuer.policy import Caller, decide
from sop_runner.trust.trustfile import IssuerSettings, TrustRoot, load_trust

CONNECTION_TIMEOUT = 10.0
_PEERCRED = struct.Struct("3i")


def issuer_settings(trust: TrustRoot) -> IssuerSettings:
    """Given the trust root, return its issuer part; raise SopError when it has none."""
    if trust.issuer is None:
        raise SopError(
            _("trust file {path}: no issuer part; the issuer has nothing to serve").format(
                path=trust.path
            )
        )
    return trust.issuer


def load_ca(path: Path) -> Ed25519PrivateKey:
    """Given the CA key's path, return the key; raise SopError unless it is root's, 0600
    (or stricter) and an ed25519 OpenSSH private key."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SopError(
            _("issuer.ca_key {path}: cannot read it ({reason})").format(
                path=path, reason=exc.strerror
            )
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid != 0 or info.st_mode & 0o077 or not stat.S_ISREG(info.st_mode):
            raise SopError(
                _(
                    "issuer.ca_key {path}: must be a file of root's with mode 0600 "
                    "(found uid {uid}, mode {mode:04o})"
                ).format(path=path, uid=info.st_uid, mode=stat.S_IMODE(info.st_mode))
            )
        data = handle.read()
    try:
        key = load_ssh_private_key(data, password=None)
    except (ValueError, TypeError):
        raise SopError(
            _("issuer.ca_key {path}: not an unencrypted OpenSSH private key").format(path=path)
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SopError(_("issuer.ca_key {path}: not an ed25519 key").format(path=path))
    return key


def context_for(trust: TrustRoot) -> Any:
    """Given the issuer's trust root, return a Context that reads only from it."""
    from sop_runner.context import Context

    settings = Settings(
        repo_root=REPO_ROOT,
        data_dir=Path("/nonexistent/sop-issuer"),
        key_dir=Path("/nonexistent/sop-issuer"),
        lang="id",
        preset_trust=trust,
    )
    return Context(settings=settings)


def peer(conn: socket.socket) -> Caller:
    """Given an accepted connection, return its caller as the kernel names it."""
    pid, uid, gid = _PEERCRED.unpack(
        conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _PEERCRED.size)
    )
    return Caller(pid=pid, uid=uid, gid=gid)


class Issuer:
    """The daemon's state: its trust file, the bound socket, one decision at a time."""

    def __init__(self, trust_file: Path) -> None:
        self.trust_file = trust_file
        self.lock = threading.Lock()
        self.settings = issuer_settings(load_trust(trust_file))
        load_ca(self.settings.ca_key)  # refuse to start with a key others can read
        self.sock: socket.socket | None = None

    # -- the socket ------------------------------------------------------------
    def bind(self) -> socket.socket:
        """Return the listening socket, in a root-owned directory the callers may reach."""
        path = self.settings.socket
        gid = -1
        if self.settings.group:
            try:
                gid = grp.getgrnam(self.settings.group).gr_gid
            except KeyError:
                raise SopError(
                    _("issuer.group: no group {group!r}").format(group=self.settings.group)
                ) from None
        folder = path.parent
        folder.mkdir(parents=True, exist_ok=True)
        info = folder.lstat()
        if info.st_uid != 0 or info.st_mode & stat.S_IWOTH or not stat.S_ISDIR(info.st_mode):
            raise SopError(
                _("issuer.socket: directory {folder} must be root's and not world-writable").format(
                    folder=folder
                )
            )
        os.chown(folder, 0, gid if gid >= 0 else 0)
        folder.chmod(0o750 if gid >= 0 else 0o755)
        if path.is_socket():
            path.unlink()
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(path))
        finally:
            os.umask(old)
        os.chown(path, 0, gid if gid >= 0 else 0)
        path.chmod(0o660 if gid >= 0 else 0o666)
        sock.listen(16)
        self.sock = sock
        return sock

    def serve_forever(self) -> None:
        """Accept connections until SIGTERM or SIGINT; each is answered in its own thread."""
        sock = self.sock or self.bind()

        def stop(_signum: int, _frame: Any) -> None:
            raise SystemExit(0)

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            while True:
                conn, _address = sock.accept()
                threading.Thread(target=self.handle, args=(conn,), daemon=True).start()
        finally:
            sock.close()
            with contextlib.suppress(OSError):
                self.settings.socket.unlink()

    # -- one ask -----------------------------------------------------------------
    def handle(self, conn: socket.socket) -> None:
        """Given an accepted connection, read one ask, answer it, close."""
        with conn:
            conn.settimeout(CONNECTION_TIMEOUT)
            caller = peer(conn)
            try:
                ask: Ask | None = parse_ask(read_line(conn))
            except (SopError, OSError) as refusal:
                ask = None
                reply: dict[str, Any] = {"ok": False, "error": str(refusal)}
            if ask is not None:
                with self.lock:
                    reply = self.answer(ask, caller)
            with contextlib.suppress(OSError):
                conn.sendall((json.dumps(reply) + "\n").encode())

    def answer(self, ask: Ask, caller: Caller) -> dict[str, Any]:
        """Given an ask and its caller, return the reply (a certificate or a refusal)."""
        now = datetime.now(UTC)
        trust: TrustRoot | None = None
        ctx = None
        try:
            trust = load_trust(self.trust_file)
            settings = replace(issuer_settings(trust), socket=self.settings.socket)
            ctx = context_for(trust)
            grant = decide(ctx, ask, caller, settings, now)
            public = certs.public_key_of(
                ask.public_key,
                certs.VENDOR_KEY_TYPES if ask.kind == "vendor" else ("ssh-ed25519",),
            )
            cert = certs.sign(load_ca(settings.ca_key), public, grant)
        except SopError as refusal:
            self.record(trust, ctx, ask, caller, None, None, str(refusal))
            return {"ok": False, "error": str(refusal)}
        except Exception as failure:  # fail closed, and say so, whatever broke
            why = f"issuer error: {failure.__class__.__name__}: {str(failure)[:200]}"
            self.record(trust, ctx, ask, caller, None, None, why)
            return {"ok": False, "error": why}
        self.record(trust, ctx, ask, caller, grant, cert.serial, None)
        return {
            "ok": True,
            "certificate": cert.public_bytes().decode(),
            "key_id": grant.key_id,
            "serial": cert.serial,
            "principals": list(grant.principals),
            "valid_before": grant.valid_before.isoformat(timespec="seconds"),
        }

    # -- the record ----------------------------------------------------------------
    def record(
        self,
        trust: TrustRoot | None,
        ctx: Any,
        ask: Ask,
        caller: Caller,
        grant: certs.Grant | None,
        serial: int | None,
        refusal: str | None,
    ) -> None:
        """Given a decision, write it to the issuer's log and, when the store opens, the
        audit trail.  A store that cannot be written does not undo the decision: the
        issuer's own log holds it either way."""
        entry: dict[str, Any] = {
            "at": datetime.now(UTC).isoformat(timespec="seconds"),
            "decision": "refused" if refusal else "issued",
            "caller": {"uid": caller.uid, "user": caller.user, "pid": caller.pid},
            "operator": ask.operator,
            "kind": ask.kind,
            "request": ask.request,
            "run": ask.run,
            "step": ask.step,
            "targets": list(ask.targets),
        }
        if grant is not None:
            entry.update(
                key_id=grant.key_id,
                serial=serial,
                principals=list(grant.principals),
                valid_before=grant.valid_before.isoformat(timespec="seconds"),
                source_addresses=list(grant.source_addresses),
            )
        if refusal:
            entry["why"] = refusal
        log = (trust.issuer if trust and trust.issuer else self.settings).log
        write_log(log, entry)
        if ctx is None:
            return
        subject = f"request/{ask.request}" if ask.request is not None else f"plan/{ask.operator}"
        action = "certificate.refused" if refusal else "certificate.issued"
        with contextlib.suppress(Exception):
            with ctx.session() as session:
                audit.append(session, "issuer", action, subject, entry)
            ctx.engine.dispose()


def write_log(path: Path, entry: dict[str, Any]) -> None:
    """Given the issuer log's path and an entry, append it as one JSON line (root, 0600)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry, sort_keys=True) + "\n")
