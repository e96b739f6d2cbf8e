"""An ssh-agent per run, and the two agent messages sop needs (draft-miller-ssh-agent).

The ephemeral private key never touches a disk: it is generated in memory and
handed to the agent with SSH_AGENTC_ADD_ID_CONSTRAINED together with its
certificate and a lifetime (the agent forgets it when the certificate ends).
``ssh-add -`` reads a key from a pipe but cannot attach a certificate to it, so
the message is written here (OpenSSH 9.2's agent takes it; measured).
"""

from __future__ import annotations

import base64
import contextlib
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.errors import SopError
from sop_runner.i18n import _

ADD_ID_CONSTRAINED = 25
REQUEST_IDENTITIES = 11
IDENTITIES_ANSWER = 12
SUCCESS = 6
CONSTRAIN_LIFETIME = 1
START_TIMEOUT = 5.0


def _string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def add_certificate_message(
    key: Ed25519PrivateKey, certificate: str, comment: str, lifetime: int
) -> bytes:
    """Given an ed25519 key, its certificate line, a comment and a lifetime (seconds),
    return the agent message that adds them (without the length prefix)."""
    kind, blob = certificate.split()[:2]
    private = key.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return (
        bytes([ADD_ID_CONSTRAINED])
        + _string(kind.encode())
        + _string(base64.b64decode(blob))
        + _string(public)
        + _string(private + public)
        + _string(comment.encode())
        + bytes([CONSTRAIN_LIFETIME])
        + struct.pack(">I", max(1, lifetime))
    )


def _exchange(agent: str, message: bytes) -> bytes:
    """Given the agent's socket and a message, return the agent's reply (without length)."""
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
            conn.settimeout(10)
            conn.connect(agent)
            conn.sendall(struct.pack(">I", len(message)) + message)
            head = b""
            while len(head) < 4:
                chunk = conn.recv(4 - len(head))
                if not chunk:
                    raise OSError("the agent closed the connection")
                head += chunk
            size = struct.unpack(">I", head)[0]
            reply = b""
            while len(reply) < size:
                chunk = conn.recv(size - len(reply))
                if not chunk:
                    raise OSError("the agent closed the connection")
                reply += chunk
    except OSError as exc:
        raise SopError(
            _("ssh-agent {agent}: not reachable ({reason})").format(agent=agent, reason=exc)
        ) from None
    return reply


def add_certificate(
    agent: str, key: Ed25519PrivateKey, certificate: str, comment: str, lifetime: int
) -> None:
    """Given an agent socket, a key and its certificate, load both for lifetime seconds.

    Raise SopError when the agent refuses.
    """
    reply = _exchange(agent, add_certificate_message(key, certificate, comment, lifetime))
    if not reply or reply[0] != SUCCESS:
        raise SopError(
            _("ssh-agent {agent}: refused the certificate (answer {answer})").format(
                agent=agent, answer=reply[:1].hex()
            )
        )


def comments(agent: str) -> list[str]:
    """Given an agent socket, return the comments of the identities it holds."""
    reply = _exchange(agent, bytes([REQUEST_IDENTITIES]))
    if not reply or reply[0] != IDENTITIES_ANSWER:
        raise SopError(_("ssh-agent {agent}: did not list its identities").format(agent=agent))
    count = struct.unpack(">I", reply[1:5])[0]
    offset, found = 5, []
    for _identity in range(count):
        for index in range(2):
            size = struct.unpack(">I", reply[offset : offset + 4])[0]
            if index == 1:
                found.append(reply[offset + 4 : offset + 4 + size].decode(errors="replace"))
            offset += 4 + size
    return found


def _close_masters(folder: Path) -> None:
    """Given a run's SSH control folder, return once no master connection lives on in it.

    Ansible keeps one master per host (ControlPersist); one authenticated with this
    run's certificate must not serve a later play of the same user.
    """
    # All at once: one after the other took 1 s a play on 50 hosts (bench/RESULTS.md).
    closing = [
        subprocess.Popen(
            ["ssh", "-o", f"ControlPath={control}", "-O", "exit", "sop-run"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for control in folder.glob("*")
        if control.is_socket()
    ]
    for process in closing:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def run_agent() -> Iterator[dict[str, str]]:
    """Start an ssh-agent for one run; yield the environment the play needs.

    The agent's socket and the run's SSH control folder are in a 0700 folder of
    their own; the agent is stopped, every master connection closed and the
    folder removed when the run ends, whatever happened.
    """
    folder = Path(tempfile.mkdtemp(prefix="sop-run-"))
    sock = folder / "agent.sock"
    control = folder / "cp"
    control.mkdir(mode=0o700)
    process = subprocess.Popen(
        ["ssh-agent", "-D", "-a", str(sock)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not sock.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                raise SopError(_("ssh-agent: did not start (is openssh-client installed?)"))
            time.sleep(0.005)
        yield {"SSH_AUTH_SOCK": str(sock), "ANSIBLE_SSH_CONTROL_PATH_DIR": str(control)}
    finally:
        with contextlib.suppress(Exception):
            _close_masters(control)
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
