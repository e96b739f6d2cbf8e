"""Signed checkpoints of the audit trail, kept by witnesses outside the store.

A checkpoint says "log L had SIZE entries ending in HEAD_HASH at TIME", signed
by the operator whose action published it.  ``publish`` appends it to an
append-only log on another host through a forced-command SSH account
(``scripts/sop-witness``) and sends it to a remote syslog collector when the
trust file names one; ``fetch`` reads the SSH witness's log back.  The
store's writer can rewrite the store, not the witness: verification
(``sop_runner.trust.anchor``) compares the chain against what the witness
holds.  When a witness cannot be reached, ``WitnessUnavailable`` says so in
one line, and nothing is ever called intact on that account.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.audit import canonical
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.keys import public_key_b64
from sop_runner.trust import fingerprint, signature_valid
from sop_runner.trust.trustfile import SshWitness, SyslogWitness, TrustRoot

# The witness account refuses any line longer than this (scripts/sop-witness keeps the same).
MAX_LINE = 4096
KEYS = ("fingerprint", "head_hash", "log", "signature", "signer", "size", "time")
SSH_TIMEOUT = 15.0
_HEX64 = re.compile(r"[0-9a-f]{64}")
_HEX128 = re.compile(r"[0-9a-f]{128}")
_FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")
_LOG = re.compile(r"[a-z0-9][a-z0-9._:/-]{0,127}")
_SIGNER = re.compile(r"[a-z][a-z0-9._-]{1,31}")

# Operators' keys as verification needs them: fingerprint -> (name, base64 public key).
KnownKeys = Mapping[str, tuple[str, str]]


class WitnessUnavailable(SopError):
    """A witness could not be reached or read: nothing may be called verified."""


@dataclass(frozen=True)
class Checkpoint:
    """One signed statement of the chain's size and head, as a witness keeps it."""

    log: str
    size: int
    head_hash: str
    time: str
    signer: str
    fingerprint: str
    signature: str

    def signed_text(self) -> str:
        """Given the checkpoint, return the canonical text its signature covers."""
        body = asdict(self)
        del body["signature"]
        return canonical(body)

    def line(self) -> str:
        """Given the checkpoint, return it as one canonical JSON line (no newline)."""
        return canonical(asdict(self))

    def describe(self) -> str:
        """Given the checkpoint, return how a finding names it (entry, time, signer)."""
        return _("the checkpoint of {time} by {signer} ({size} entries)").format(
            time=self.time, signer=self.signer, size=self.size
        )


def parse_line(text: str) -> Checkpoint:
    """Given one line of a witness log, return the checkpoint it holds.

    Raise ValueError naming the problem if it is not exactly a checkpoint.
    """
    if len(text.encode()) > MAX_LINE:
        raise ValueError(_("longer than {limit} bytes").format(limit=MAX_LINE))
    try:
        data = json.loads(text)
    except ValueError:
        raise ValueError(_("not JSON")) from None
    if not isinstance(data, dict) or sorted(data) != list(KEYS):
        raise ValueError(_("not an object of exactly the keys {keys}").format(keys=", ".join(KEYS)))
    checks = (
        ("log", isinstance(data["log"], str) and _LOG.fullmatch(data["log"])),
        ("size", type(data["size"]) is int and data["size"] >= 0),
        ("head_hash", isinstance(data["head_hash"], str) and _HEX64.fullmatch(data["head_hash"])),
        ("time", isinstance(data["time"], str) and 0 < len(data["time"]) <= 40),
        ("signer", isinstance(data["signer"], str) and _SIGNER.fullmatch(data["signer"])),
        (
            "fingerprint",
            isinstance(data["fingerprint"], str) and _FINGERPRINT.fullmatch(data["fingerprint"]),
        ),
        ("signature", isinstance(data["signature"], str) and _HEX128.fullmatch(data["signature"])),
    )
    for field, ok in checks:
        if not ok:
            raise ValueError(
                _("{field}: {value!r} is not allowed").format(field=field, value=data[field])
            )
    return Checkpoint(**data)


def make_checkpoint(
    log: str,
    size: int,
    head_hash: str,
    signer: str,
    private_key: Ed25519PrivateKey,
    now: datetime | None = None,
) -> Checkpoint:
    """Given the chain's size and head and the acting operator's key, return a signed checkpoint."""
    unsigned = Checkpoint(
        log=log,
        size=size,
        head_hash=head_hash,
        time=(now or datetime.now(UTC)).isoformat(timespec="seconds"),
        signer=signer,
        fingerprint=fingerprint(public_key_b64(private_key)),
        signature="",
    )
    signature = private_key.sign(unsigned.signed_text().encode()).hex()
    return Checkpoint(**{**asdict(unsigned), "signature": signature})


def checkpoint_problem(checkpoint: Checkpoint, keys: KnownKeys) -> str | None:
    """Given a checkpoint and the operators' keys, return why it cannot be trusted, or None."""
    known = keys.get(checkpoint.fingerprint)
    if known is None:
        return _("signed with key {fingerprint}, which no registry version holds").format(
            fingerprint=checkpoint.fingerprint
        )
    name, public_key = known
    if name != checkpoint.signer:
        return _("names {signer!r} as signer but key {fingerprint} is {name!r}").format(
            signer=checkpoint.signer, fingerprint=checkpoint.fingerprint, name=name
        )
    if not signature_valid(public_key, checkpoint.signature, checkpoint.signed_text()):
        return _("its signature does not verify")
    return None


def log_id(store_url: str) -> str:
    """Given the store's URL from the trust file, return the name its checkpoints carry.

    One witness may serve several stores (the lab's tests do), so each checkpoint
    names its log, as a transparency log's checkpoint names its origin.  The
    name comes from the root-owned trust file, never from the store itself:
    a store rewritten from its first entry is still the same log.
    """
    from sqlalchemy.engine import URL, make_url  # here: `sop status` starts without it

    url = make_url(store_url)
    bare = URL.create(
        url.get_backend_name(), url.username, None, url.host, url.port, url.database, url.query
    )
    digest = hashlib.sha256(bare.render_as_string(hide_password=False).encode()).hexdigest()
    return f"sop-pusatdata/{digest[:16]}"


def _ssh(witness: SshWitness, command: str, stdin: str | None) -> str:
    """Given the SSH witness and its command (append | get), return what it printed.

    Only the trust file's identity, known host key and port are used: the
    caller's ~/.ssh/config (-F /dev/null) and agent cannot redirect it.
    Raise WitnessUnavailable if the witness cannot be reached or refuses.
    """
    where = f"ssh {witness.user}@{witness.host}:{witness.port}"
    if witness.host.startswith("-") or witness.user.startswith("-"):
        raise WitnessUnavailable(
            _("witness {where}: host and user may not start with '-'").format(where=where)
        )
    cmd = [
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        str(witness.identity_file),
        "-p",
        str(witness.port),
        "-l",
        witness.user,
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={witness.known_hosts}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "ConnectTimeout=5",
        "-o",
        "LogLevel=ERROR",
        "-T",
        witness.host,
        command,
    ]
    try:
        done = subprocess.run(
            cmd,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=SSH_TIMEOUT,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"},
        )
    except subprocess.TimeoutExpired:
        raise WitnessUnavailable(
            _("witness unreachable: {where} did not answer in {seconds} s").format(
                where=where, seconds=f"{SSH_TIMEOUT:.0f}"
            )
        ) from None
    except OSError as exc:
        raise WitnessUnavailable(
            _("witness unreachable: {where}: {reason}").format(where=where, reason=exc.strerror)
        ) from None
    if done.returncode != 0:
        said = (done.stderr.strip().splitlines() or [_("no message")])[-1][:200]
        if done.returncode == 255:
            raise WitnessUnavailable(
                _("witness unreachable: {where}: {reason}").format(where=where, reason=said)
            )
        raise WitnessUnavailable(
            _("witness {where} refused {command!r}: {reason}").format(
                where=where, command=command, reason=said
            )
        )
    return done.stdout


def syslog_line(checkpoint: Checkpoint, now: datetime | None = None) -> bytes:
    """Given a checkpoint, return it as one RFC 5424 syslog message (local0.notice)."""
    stamp = (now or datetime.now(UTC)).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    host = socket.gethostname() or "-"
    # PRI 133 = facility local0 (16) * 8 + severity notice (5); no structured data.
    header = f"<133>1 {stamp} {host} sop-pusatdata {os.getpid()} checkpoint -"
    return f"{header} {checkpoint.line()}".encode()


def _send_syslog(collector: SyslogWitness, checkpoint: Checkpoint) -> None:
    """Given the collector and a checkpoint, return once it was handed over.

    UDP cannot confirm delivery; TCP uses RFC 6587 octet counting.  Raise
    WitnessUnavailable if the collector cannot be reached.
    """
    message = syslog_line(checkpoint)
    where = f"syslog {collector.protocol}://{collector.host}:{collector.port}"
    try:
        if collector.protocol == "tcp":
            with socket.create_connection((collector.host, collector.port), timeout=5) as sock:
                sock.sendall(str(len(message)).encode() + b" " + message)
        else:
            infos = socket.getaddrinfo(collector.host, collector.port, type=socket.SOCK_DGRAM)
            family, kind, proto, _name, address = infos[0]
            with socket.socket(family, kind, proto) as sock:
                sock.sendto(message, address)
    except OSError as exc:
        raise WitnessUnavailable(
            _("witness unreachable: {where}: {reason}").format(
                where=where, reason=exc.strerror or exc.__class__.__name__
            )
        ) from None


def publish(trust: TrustRoot, checkpoint: Checkpoint) -> None:
    """Given the trust root and a signed checkpoint, hand it to every configured witness.

    Every witness is tried even when one fails.  Raise WitnessUnavailable
    naming those that could not take it, SopError if no witness is configured.
    """
    if trust.witness_ssh is None and trust.witness_syslog is None:
        raise SopError(
            _("trust file {path}: witness: none configured; add ssh or syslog").format(
                path=trust.path
            )
        )
    failures = []
    if trust.witness_ssh is not None:
        try:
            _ssh(trust.witness_ssh, "append", checkpoint.line() + "\n")
        except WitnessUnavailable as exc:
            failures.append(str(exc))
    if trust.witness_syslog is not None:
        try:
            _send_syslog(trust.witness_syslog, checkpoint)
        except WitnessUnavailable as exc:
            failures.append(str(exc))
    if failures:
        raise WitnessUnavailable("; ".join(failures))


def fetch(trust: TrustRoot) -> list[Checkpoint]:
    """Given the trust root, return this store's checkpoints as the SSH witness holds them.

    Lines of other logs are left out.  Raise WitnessUnavailable if there is
    no SSH witness to read back (syslog cannot be read), it cannot be
    reached, or its log holds a line that is not a checkpoint.
    """
    if trust.witness_ssh is None:
        raise WitnessUnavailable(
            _(
                "trust file {path}: witness.ssh: not configured; only an SSH witness "
                "can be read back to verify against"
            ).format(path=trust.path)
        )
    mine = log_id(trust.store)
    found = []
    for number, text in enumerate(_ssh(trust.witness_ssh, "get", None).splitlines(), start=1):
        if not text.strip():
            continue
        try:
            checkpoint = parse_line(text)
        except ValueError as exc:
            raise WitnessUnavailable(
                _(
                    "witness log line {number} is not a checkpoint ({problem}); the witness "
                    "log itself was altered"
                ).format(number=number, problem=exc)
            ) from None
        if checkpoint.log == mine:
            found.append(checkpoint)
    return found
