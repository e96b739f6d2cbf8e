"""The trust file: the one root-owned place trust comes from.

``/etc/sop-pusatdata/trust.yml`` (root, 0644) pins the pimpinan's root keys
and names the store, the inventory, the registry and the witnesses.
``SOP_TRUST_FILE`` may name another file only when that file and every
directory above it belong to root and are writable by nobody else, so a
petugas cannot point it at a file he made, while tests and the demo, run as
root, can make their own.  A sticky world-writable directory such as /tmp is
accepted on the way only when the next component belongs to root: the sticky
bit stops anyone else from renaming or replacing it.
"""

from __future__ import annotations

import os
import pwd
import stat
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from sop_runner import yamlio
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.trust import fingerprint, raw_public_key
from sop_runner.trust.names import name_problem
from sop_runner.trust.schema import schema_problem

DEFAULT_PATH = Path("/etc/sop-pusatdata/trust.yml")
ENV_VAR = "SOP_TRUST_FILE"


@dataclass(frozen=True)
class RootKey:
    """One of the pimpinan's root keys, which sign the operators registry."""

    id: str
    public_key: str  # base64 of the raw 32 bytes
    until_version: int | None = None  # a retired key verifies versions up to this one only

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def may_sign(self, version: int) -> bool:
        """Given a registry version, return whether this key counts towards its threshold."""
        return self.until_version is None or version <= self.until_version


@dataclass(frozen=True)
class SshWitness:
    """An append-only checkpoint log on another host, over SSH (a forced-command account)."""

    host: str
    user: str
    identity_file: Path
    known_hosts: Path
    port: int = 22


@dataclass(frozen=True)
class SyslogWitness:
    """A remote syslog collector that receives each checkpoint."""

    host: str
    port: int = 514
    protocol: str = "udp"


@dataclass(frozen=True)
class IssuerSettings:
    """Where the SSH certificate issuer listens, whose key it holds, and its limits."""

    socket: Path
    ca_key: Path
    source_addresses: tuple[str, ...]
    margin: str = "10m"
    group: str | None = None
    log: Path = Path("/var/log/sop-pusatdata/issuer.log")

    @property
    def ca_public_key(self) -> Path:
        """The CA's public key file (what the hosts trust): the key's path + .pub."""
        return self.ca_key.with_name(self.ca_key.name + ".pub")

    def as_document(self) -> dict[str, Any]:
        """Return this part as it is written in the trust file."""
        doc: dict[str, Any] = {
            "socket": str(self.socket),
            "ca_key": str(self.ca_key),
            "source_addresses": list(self.source_addresses),
            "margin": self.margin,
            "log": str(self.log),
        }
        if self.group:
            doc["group"] = self.group
        return doc


@dataclass(frozen=True)
class TrustRoot:
    """The trust file, read and checked: root keys, threshold, and where everything is."""

    path: Path
    threshold: int
    root_keys: tuple[RootKey, ...]
    store: str
    inventory: Path
    registry: Path
    # The longest an approval may be valid, for every procedure (lowers the catalog's).
    approval_max: timedelta | None = None
    witness_ssh: SshWitness | None = None
    witness_syslog: SyslogWitness | None = None
    issuer: IssuerSettings | None = None

    def root_key(self, key_id: str) -> RootKey | None:
        """Given a key id, return that root key, or None."""
        return next((k for k in self.root_keys if k.id == key_id), None)

    def root_key_for(self, public_key: str) -> RootKey | None:
        """Given a base64 public key, return the root key it is, or None."""
        try:
            raw = raw_public_key(public_key)
        except ValueError:
            return None
        return next((k for k in self.root_keys if raw_public_key(k.public_key) == raw), None)


def _approval_max(text: str | None, path: Path) -> timedelta | None:
    """Given the trust file's approval_max (schema-checked), return it read as a duration."""
    if text is None:
        return None
    from sop_runner.durations import parse

    return parse(
        text,
        _("trust file {path}: {field}").format(path=path, field="approval_max"),
        maximum=timedelta(days=30),
    )


def _owner(uid: int) -> str:
    try:
        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except KeyError:
        return f"uid {uid}"


def check_ownership(path: Path, owner_uid: int = 0) -> Path:
    """Given the trust file's path, return its real path once it is safe to trust.

    Safe means: a regular file, owned by root (or owner_uid, which only tests
    set), not writable by group or others, under directories that are owned
    by root (or owner_uid) and writable by nobody else, except a sticky
    directory whose next component is owned by root (or owner_uid).  Raise
    SopError naming the file or directory that is not.
    """
    trusted = {0, owner_uid}
    who = "root" if owner_uid == 0 else _("root or uid {uid}").format(uid=owner_uid)
    file = _("trust file {path}").format(path=path)
    real = Path(os.path.realpath(path))
    parts = [Path(real.anchor), *[Path(*real.parts[: i + 1]) for i in range(1, len(real.parts))]]
    for index, part in enumerate(parts):
        try:
            info = part.lstat()
        except OSError as exc:
            raise SopError(f"{file}: {part}: {exc.strerror}") from None
        is_file = index == len(parts) - 1
        if is_file:
            where = (
                file
                if real == Path(path)
                else _("{file} (resolves to {real})").format(file=file, real=real)
            )
        else:
            where = _("{file}: directory {part}").format(file=file, part=part)
        if is_file and not stat.S_ISREG(info.st_mode):
            raise SopError(_("{where}: not a regular file").format(where=where))
        if info.st_uid not in trusted:
            raise SopError(
                _(
                    "{where}: owned by {owner}, not {who}; "
                    "trust comes only from a root-owned file (see docs/security.md)"
                ).format(where=where, owner=_owner(info.st_uid), who=who)
            )
        if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            sticky_dir = not is_file and info.st_mode & stat.S_ISVTX
            # The next component is checked in the next turn: sticky protects it once it is ours.
            if not sticky_dir:
                raise SopError(
                    _(
                        "{where}: writable by group or others (mode {mode}); "
                        "run `chmod go-w {part}`"
                    ).format(where=where, mode=f"{stat.S_IMODE(info.st_mode):04o}", part=part)
                )
    return real


def _read(real: Path, path: Path, owner_uid: int) -> str:
    # O_NOFOLLOW and fstat: what is read is the file that was checked, not a link swapped in.
    try:
        fd = os.open(real, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SopError(
            _("trust file {path}: cannot read it ({reason})").format(path=path, reason=exc.strerror)
        ) from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if info.st_uid not in (0, owner_uid) or info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise SopError(
                _("trust file {path}: changed while it was being checked").format(path=path)
            )
        return handle.read()


def _root_keys(data: dict[str, Any], path: Path) -> tuple[RootKey, ...]:
    keys: list[RootKey] = []
    seen: dict[bytes, str] = {}
    for index, entry in enumerate(data["root"]["keys"]):
        field = _("trust file {path}: {field}").format(path=path, field=f"root.keys[{index}]")
        problem = name_problem(entry["id"])
        if problem is not None:
            raise SopError(f"{field}.id: {problem}")
        if any(k.id == entry["id"] for k in keys):
            raise SopError(
                _("{field}.id: {id!r} is declared twice; key ids are unique").format(
                    field=field, id=entry["id"]
                )
            )
        try:
            raw = raw_public_key(entry["public_key"])
        except ValueError:
            raise SopError(
                _("{field}.public_key: base64 of a 32-byte ed25519 public key").format(field=field)
            ) from None
        if raw in seen:
            raise SopError(
                _(
                    "{field}.public_key: the same key as root key {other!r}; "
                    "each root key holder has their own key"
                ).format(field=field, other=seen[raw])
            )
        seen[raw] = entry["id"]
        keys.append(RootKey(entry["id"], entry["public_key"], entry.get("until_version")))
    threshold = data["root"]["threshold"]
    signing = [k for k in keys if k.until_version is None]
    if threshold > len(signing):
        raise SopError(
            _(
                "trust file {path}: root.threshold: {threshold} but only {count} root key(s) "
                "may sign new versions; the registry could never change"
            ).format(path=path, threshold=threshold, count=len(signing))
        )
    return tuple(keys)


def parse_trust(text: str, path: Path) -> TrustRoot:
    """Given the trust file's text and path, return the trust root.

    Raise SopError naming the field if it is not valid YAML or breaks the schema.
    """
    try:
        data = yamlio.load(text)
    except yaml.YAMLError:
        raise SopError(_("trust file {path}: not valid YAML").format(path=path)) from None
    problem = schema_problem("trust", data)
    if problem is not None:
        raise SopError(_("trust file {path}: {field}").format(path=path, field=problem))
    witness = data.get("witness") or {}
    ssh = witness.get("ssh")
    syslog = witness.get("syslog")
    return TrustRoot(
        path=path,
        threshold=data["root"]["threshold"],
        root_keys=_root_keys(data, path),
        store=data["store"],
        inventory=Path(data["inventory"]),
        registry=Path(data["registry"]),
        approval_max=_approval_max(data.get("approval_max"), path),
        witness_ssh=SshWitness(
            host=ssh["host"],
            user=ssh["user"],
            identity_file=Path(ssh["identity_file"]),
            known_hosts=Path(ssh["known_hosts"]),
            port=ssh.get("port", 22),
        )
        if ssh
        else None,
        witness_syslog=SyslogWitness(
            host=syslog["host"],
            port=syslog.get("port", 514),
            protocol=syslog.get("protocol", "udp"),
        )
        if syslog
        else None,
        issuer=_issuer(data.get("issuer"), path),
    )


def _issuer(part: dict[str, Any] | None, path: Path) -> IssuerSettings | None:
    """Given the trust file's issuer part (schema-checked), return its settings."""
    if not part:
        return None
    from sop_runner.durations import parse

    margin = part.get("margin", "10m")
    parse(margin, _("trust file {path}: {field}").format(path=path, field="issuer.margin"))
    return IssuerSettings(
        socket=Path(part["socket"]),
        ca_key=Path(part["ca_key"]),
        source_addresses=tuple(part["source_addresses"]),
        margin=margin,
        group=part.get("group"),
        log=Path(part.get("log", "/var/log/sop-pusatdata/issuer.log")),
    )


def trust_file_path(path: Path | None = None) -> Path:
    """Given an explicit path or None, return the trust file to read ($SOP_TRUST_FILE, default)."""
    if path is not None:
        return path
    named = os.environ.get(ENV_VAR)
    return Path(named) if named else DEFAULT_PATH


def load_trust(path: Path | None = None, *, owner_uid: int = 0) -> TrustRoot:
    """Given the trust file's path (default: $SOP_TRUST_FILE or /etc/sop-pusatdata/trust.yml),
    return the trust root.

    owner_uid lets tests that cannot be root exercise the ownership rules with
    their own uid; the product always uses 0.  Raise SopError if the file is
    missing, not safely owned (see check_ownership), or malformed.
    """
    chosen = trust_file_path(path)
    if not chosen.is_absolute():
        raise SopError(_("trust file {path}: must be an absolute path").format(path=chosen))
    if not os.path.lexists(chosen):
        named = path is None and os.environ.get(ENV_VAR)
        source = _(" (from ${env})").format(env=ENV_VAR) if named else ""
        raise SopError(
            _(
                "trust file {path}{source}: not found; root creates it with "
                "`python -m sop_runner.trust.init` (see docs/security.md)"
            ).format(path=chosen, source=source)
        )
    real = check_ownership(chosen, owner_uid)
    return parse_trust(_read(real, chosen, owner_uid), chosen)
