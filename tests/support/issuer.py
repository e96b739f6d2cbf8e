"""The SSH certificate issuer for tests: a CA of the test's own (or the lab's) and the real
daemon (`python -m sop_runner.issuer serve`) on a socket of its own, as root.

``serving(trust_file, ca_key, addresses)`` writes the issuer part into the test's trust
file (root's, as an administrator would), starts the daemon on it and stops it
afterwards; the lab fixtures use the lab's CA, whose public key the lab's hosts trust.
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sop_runner.config import REPO_ROOT
from sop_runner.issuer.__main__ import init_ca
from sop_runner.trust.init import trust_document, write_trust_file
from sop_runner.trust.trustfile import TrustRoot, load_trust

START_TIMEOUT = 15.0


@dataclass(frozen=True)
class RunningIssuer:
    """A started issuer: its trust root, socket, log and CA public key."""

    trust: TrustRoot
    socket: Path
    log: Path
    ca_public_key: Path
    process: subprocess.Popen[str]

    def log_entries(self) -> list[dict[str, Any]]:
        """Return the issuer log's entries (one JSON object per line)."""
        import json

        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]


def make_ca(folder: Path) -> Path:
    """Given a folder (made root's, 0700), return the path of a new CA private key in it."""
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    key = folder / "user_ca"
    init_ca(key, force=True)
    return key


def with_issuer(trust_file: Path, issuer: dict[str, Any]) -> TrustRoot:
    """Given a trust file and an issuer part, write the file again with it (keeping the rest)."""
    trust = load_trust(trust_file)
    witness = None
    if trust.witness_ssh is not None:
        ssh = trust.witness_ssh
        witness = {
            "ssh": {
                "host": ssh.host,
                "port": ssh.port,
                "user": ssh.user,
                "identity_file": str(ssh.identity_file),
                "known_hosts": str(ssh.known_hosts),
            }
        }
    text = trust_document(
        {key.id: key.public_key for key in trust.root_keys},
        trust.threshold,
        trust.store,
        trust.inventory,
        trust.registry,
        witness=witness,
        issuer=issuer,
    )
    return write_trust_file(trust_file, text, force=True)


@contextlib.contextmanager
def serving(
    trust_file: Path,
    ca_key: Path,
    source_addresses: Sequence[str],
    *,
    margin: str = "5m",
    group: str | None = None,
) -> Iterator[RunningIssuer]:
    """Given a trust file and a CA key, yield the issuer daemon serving that trust root."""
    folder = Path(tempfile.mkdtemp(prefix="sop-issuer-", dir="/run"))
    folder.chmod(0o755)
    part: dict[str, Any] = {
        "socket": str(folder / "issuer.sock"),
        "ca_key": str(ca_key),
        "source_addresses": list(source_addresses),
        "margin": margin,
        "log": str(folder / "log" / "issuer.log"),
    }
    if group:
        part["group"] = group
    trust = with_issuer(trust_file, part)
    process = subprocess.Popen(
        [sys.executable, "-m", "sop_runner.issuer", "serve", "--trust-file", str(trust_file)],
        cwd=REPO_ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    socket = folder / "issuer.sock"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not socket.is_socket():
            if process.poll() is not None:
                raise RuntimeError(f"the issuer did not start: {process.stdout.read()}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                raise RuntimeError("the issuer did not bind its socket in time")
            time.sleep(0.01)
        yield RunningIssuer(
            trust, socket, folder / "log" / "issuer.log", Path(f"{ca_key}.pub"), process
        )
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)


ASK = """
import json, sys
from pathlib import Path
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sop_runner import keys
from sop_runner.errors import SopError
from sop_runner.issuer.ask import Ask, now_text
from sop_runner.issuer.client import ask_issuer
a = json.loads(sys.argv[1])
public = Ed25519PrivateKey.generate().public_key().public_bytes(
    serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode()
ask = Ask(kind=a["kind"], operator=a["operator"], public_key=a.get("public_key") or public,
          asked_at=a.get("asked_at") or now_text(), request=a.get("request"), run=a.get("run"),
          step=a.get("step"), targets=tuple(a.get("targets", [])))
signed = ask.signed_with(lambda text: keys.sign(Path(a["key_dir"]), a["signer"], text))
try:
    print(json.dumps(ask_issuer(Path(a["socket"]), signed)))
except SopError as refusal:
    print(json.dumps({"error": str(refusal)}))
"""


def ask_as(user: str | None, socket: Path, key_dir: Path, **ask: Any) -> dict[str, Any]:
    """Given a Unix user (None: root), the issuer's socket, a key folder and the ask's fields
    (kind, operator, request, step, …; ``signer`` defaults to the operator), return what
    the issuer answered: its reply, or {"error": its one line}."""
    import json

    from tests.support.attacker import RUNUSER

    fields = {"socket": str(socket), "key_dir": str(key_dir), **ask}
    fields.setdefault("signer", ask["operator"])
    command = [sys.executable, "-c", ASK, json.dumps(fields)]
    if user is not None:
        import pwd

        home = pwd.getpwnam(user).pw_dir
        command = [RUNUSER, "-u", user, "--", "env", "-i", "PATH=/usr/bin:/bin", f"HOME={home}",
                   *command]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=120, check=False
    )
    if result.returncode != 0 or not result.stdout.strip():
        raise AssertionError(f"asking the issuer failed: {result.stdout} {result.stderr}")
    return json.loads(result.stdout.strip().splitlines()[-1])
