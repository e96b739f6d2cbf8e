"""The operators registry: versions signed by a threshold of the pimpinan's root keys.

A version is ``<registry>/<N>.json``: ``{"signed": {version, previous,
issued_at, operators}, "signatures": [{keyid, signature}]}``, as TUF's root
metadata.  It is valid when at least ``threshold`` distinct root keys of the
trust file signed the canonical signed part, the chain 1..N is unbroken (each
``previous`` is the SHA-256 of the version before), and names and keys obey
the identity rules (names.py).  A higher version that does not verify is an
error naming it, never skipped; a registry older than the newest version
already accepted is a rollback and refused.  A draft (what `sop operators
propose` writes and the pimpinan signs) has the same shape.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import re
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from sop_runner.audit import canonical
from sop_runner.errors import SopError
from sop_runner.i18n import _
from sop_runner.keys import public_key_b64
from sop_runner.trust import fingerprint, raw_public_key, short_fingerprint, signature_valid
from sop_runner.trust.changes import changes, signature_notes
from sop_runner.trust.names import identity_problems
from sop_runner.trust.schema import schema_problem
from sop_runner.trust.trustfile import RootKey, TrustRoot

ROLES = ("pimpinan", "penanggung_jawab", "petugas")
VERSION_FILE = re.compile(r"([1-9][0-9]{0,8})\.json")


@dataclass(frozen=True)
class RegistryOperator:
    """One operator of a registry version: the key is the identity, the name its label."""

    name: str
    unix_user: str
    roles: tuple[str, ...]
    public_key: str
    full_name: str
    nip: str | None
    jabatan: str

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    @property
    def short_fingerprint(self) -> str:
        return short_fingerprint(self.public_key)

    def verify(self, signature_hex: str, payload: str) -> bool:
        """Given a hex signature and the signed text, return whether this operator's key made it."""
        return signature_valid(self.public_key, signature_hex, payload)

    def as_dict(self) -> dict[str, Any]:
        """Return the entry as it is written in a registry version."""
        return {
            "name": self.name,
            "unix_user": self.unix_user,
            "roles": list(self.roles),
            "public_key": self.public_key,
            "full_name": self.full_name,
            "nip": self.nip,
            "jabatan": self.jabatan,
        }


def _operator(entry: dict[str, Any]) -> RegistryOperator:
    return RegistryOperator(
        name=entry["name"],
        unix_user=entry["unix_user"],
        roles=tuple(entry["roles"]),
        public_key=entry["public_key"],
        full_name=entry["full_name"],
        nip=entry.get("nip"),
        jabatan=entry["jabatan"],
    )


@dataclass(frozen=True)
class Registry:
    """One verified version of the registry."""

    version: int
    digest: str  # SHA-256 hex of the canonical signed part
    previous: str | None
    issued_at: str
    operators: tuple[RegistryOperator, ...]
    signed_by: tuple[str, ...] = ()  # the root key ids whose signatures hold

    def get(self, name: str) -> RegistryOperator | None:
        """Given a name, return that operator, or None."""
        return next((o for o in self.operators if o.name == name), None)

    def operator(self, name: str | None) -> RegistryOperator:
        """Given a name, return that operator. Raise SopError if it is not in this version."""
        found = self.get(name) if name else None
        if found is None:
            known = ", ".join(o.name for o in self.operators)
            raise SopError(
                _(
                    "operator: {name!r} is not in registry version {version}; "
                    "known operators: {known}"
                ).format(name=name, version=self.version, known=known)
            )
        return found

    def by_unix_user(self, unix_user: str) -> RegistryOperator | None:
        """Given a Unix user name, return the operator it maps to, or None."""
        return next((o for o in self.operators if o.unix_user == unix_user), None)

    def by_key(self, public_key: str) -> RegistryOperator | None:
        """Given a base64 public key, return the operator holding it, or None."""
        try:
            raw = raw_public_key(public_key)
        except ValueError:
            return None
        return next((o for o in self.operators if raw_public_key(o.public_key) == raw), None)

    def holds(self, public_key: str, role: str) -> bool:
        """Given a public key and a role, return whether that key's holder has the role here."""
        holder = self.by_key(public_key)
        return holder is not None and role in holder.roles


def current_unix_user() -> str:
    """Return the Unix user running this process (from the uid, never from $USER)."""
    return pwd.getpwuid(os.getuid()).pw_name


def digest(signed: dict[str, Any]) -> str:
    """Given a signed part, return the SHA-256 hex of its canonical JSON."""
    return hashlib.sha256(canonical(signed).encode()).hexdigest()


@dataclass
class Document:
    """A registry version or a draft of one, as read from its file."""

    signed: dict[str, Any]
    signatures: list[dict[str, str]] = field(default_factory=list)

    @property
    def version(self) -> int:
        return int(self.signed["version"])

    @property
    def digest(self) -> str:
        return digest(self.signed)

    def text(self) -> str:
        """Return the file's text (indented for people; signatures cover the canonical form)."""
        return json.dumps(
            {"signed": self.signed, "signatures": self.signatures},
            indent=2,
            sort_keys=True,
            ensure_ascii=False,
        )


def parse_document(text: str, label: str) -> Document:
    """Given a version file's text and a label for messages, return the document.

    Raise SopError naming the label and field if it is not JSON or breaks the schema.
    """
    try:
        data = json.loads(text)
    except ValueError:
        raise SopError(_("{label}: not valid JSON").format(label=label)) from None
    problem = schema_problem("registry", data)
    if problem is not None:
        raise SopError(f"{label}: {problem}")
    return Document(data["signed"], data["signatures"])


def read_document(path: Path) -> Document:
    """Given a version or draft file, return the document. Raise SopError if unreadable."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SopError(
            _("{path}: cannot read it ({reason})").format(path=path, reason=exc.strerror)
        ) from None
    return parse_document(text, str(path))


def valid_signers(trust: TrustRoot, doc: Document) -> list[RootKey]:
    """Given a document, return the distinct root keys whose signatures over it hold."""
    payload = canonical(doc.signed)
    signers: list[RootKey] = []
    for entry in doc.signatures:
        key = trust.root_key(entry.get("keyid", ""))
        if key is None or key in signers or not key.may_sign(doc.version):
            continue
        if signature_valid(key.public_key, entry.get("signature", ""), payload):
            signers.append(key)
    return signers


@dataclass
class _Scan:
    """What a pass over the registry folder found."""

    registries: list[Registry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _version_files(folder: Path) -> dict[int, Path]:
    return {
        int(match.group(1)): entry
        for entry in folder.iterdir()
        if (match := VERSION_FILE.fullmatch(entry.name))
    }


def _check(
    trust: TrustRoot, number: int, doc: Document, before: Document | None
) -> tuple[Registry | None, list[str]]:
    """Given version number's document and the one before it, return the registry and problems."""
    label = _("version {number}").format(number=number)
    problems: list[str] = []
    if doc.version != number:
        problems.append(
            _("{label}: the file {number}.json holds version {version}").format(
                label=label, number=number, version=doc.version
            )
        )
    if number == 1 and doc.signed["previous"] is not None:
        problems.append(
            _("{label}: 'previous' must be null for the first version").format(label=label)
        )
    elif before is not None and doc.signed["previous"] != before.digest:
        problems.append(
            _(
                "{label}: does not follow version {before} (its 'previous' is {previous}…, "
                "version {before} is {digest}…); the chain is broken"
            ).format(
                label=label,
                before=number - 1,
                previous=str(doc.signed["previous"])[:12],
                digest=before.digest[:12],
            )
        )
    try:
        datetime.fromisoformat(doc.signed["issued_at"])
    except ValueError:
        problems.append(
            _("{label}: issued_at: {value!r} is not an ISO 8601 time").format(
                label=label, value=doc.signed["issued_at"]
            )
        )
    problems += [f"{label}: {p}" for p in identity_problems(doc.signed["operators"])]
    signers = valid_signers(trust, doc)
    if len(signers) < trust.threshold:
        if number == 1:
            what = changes(None, doc.signed["operators"])[0]
        elif before is None:
            what = _("a version after an unreadable version {number}").format(number=number - 1)
        else:
            what = "; ".join(changes(before.signed["operators"], doc.signed["operators"]))
            what = what or _("no change")
        problems.append(
            _(
                "{label}: signed by {count} of {threshold} required root keys "
                "({what} without the pimpinan's signature)"
            ).format(label=label, count=len(signers), threshold=trust.threshold, what=what)
        )
        candidates = doc.signed["operators"] + (before.signed["operators"] if before else [])
        problems += [f"{label}: {n}" for n in signature_notes(trust, doc, candidates)]
    if problems:
        return None, problems
    registry = Registry(
        version=number,
        digest=doc.digest,
        previous=doc.signed["previous"],
        issued_at=doc.signed["issued_at"],
        operators=tuple(_operator(o) for o in doc.signed["operators"]),
        signed_by=tuple(k.id for k in signers),
    )
    return registry, []


def _scan(trust: TrustRoot, accepted_version: int | None) -> _Scan:
    scan = _Scan()
    folder = trust.registry
    if not folder.is_dir():
        scan.problems.append(
            _(
                "registry {folder}: the folder does not exist; root creates it with "
                "`python -m sop_runner.trust.init`"
            ).format(folder=folder)
        )
        return scan
    try:
        files = _version_files(folder)
    except OSError as exc:
        scan.problems.append(
            _("registry {folder}: cannot read the folder ({reason})").format(
                folder=folder, reason=exc.strerror
            )
        )
        return scan
    if not files:
        scan.problems.append(
            _(
                "registry {folder}: holds no version yet; propose version 1 with "
                "`sop operators propose` and have the pimpinan sign it"
            ).format(folder=folder)
        )
        return scan
    before: Document | None = None
    expected = 1
    for number in sorted(files):
        if number > expected:  # one line per gap, however large the number someone wrote
            gap = (
                _("version {number}").format(number=expected)
                if number == expected + 1
                else _("versions {first}..{last}").format(first=expected, last=number - 1)
            )
            scan.problems.append(
                _("{gap}: missing from {folder} (versions 1..{last} must all be there)").format(
                    gap=gap, folder=folder, last=max(files)
                )
            )
            before = None
        expected = number + 1
        try:
            doc = read_document(files[number])
        except SopError as exc:
            scan.problems.append(
                _("version {number}: {problem}").format(number=number, problem=exc)
            )
            before = None
            continue
        registry, problems = _check(trust, number, doc, before)
        scan.problems += problems
        if registry is not None:
            scan.registries.append(registry)
        before = doc
    if accepted_version is not None and max(files) < accepted_version:
        scan.problems.append(
            _(
                "registry {folder}: the newest version is {newest} but version "
                "{accepted} was accepted already: newer versions were removed (rollback)"
            ).format(folder=folder, newest=max(files), accepted=accepted_version)
        )
    return scan


def verify(trust: TrustRoot, *, accepted_version: int | None = None) -> list[str]:
    """Given the trust root, check every registry version; return the problems (none: valid).

    accepted_version is the newest version already accepted (kept in the audit
    trail); a registry whose newest version is older is a rollback.
    """
    return _scan(trust, accepted_version).problems


def history(trust: TrustRoot, *, accepted_version: int | None = None) -> list[Registry]:
    """Given the trust root, return every registry version, oldest first.

    Raise SopError naming the first problem if any version does not verify.
    """
    scan = _scan(trust, accepted_version)
    if scan.problems:
        more = (
            _(" (and {count} more)").format(count=len(scan.problems) - 1)
            if len(scan.problems) > 1
            else ""
        )
        raise SopError(
            _(
                "operators registry does not verify: {problem}{more}; run `sop operators verify`"
            ).format(problem=scan.problems[0], more=more)
        )
    return scan.registries


def current(trust: TrustRoot, *, accepted_version: int | None = None) -> Registry:
    """Given the trust root, return the newest registry version.

    Raise SopError if any version does not verify (a broken newer version is
    never skipped) or the registry is older than accepted_version.
    """
    return history(trust, accepted_version=accepted_version)[-1]


def _head(trust: TrustRoot) -> Registry | None:
    """Given the trust root, return the newest version, or None when the folder has none yet."""
    if trust.registry.is_dir() and not _version_files(trust.registry):
        return None
    return current(trust)


def propose(
    trust: TrustRoot, proposal: Any, now: datetime, source: str = "proposal"
) -> tuple[Document, list[str]]:
    """Given the trust root and the proposed operators ({operators: [...]}), return the draft.

    The draft is the next version, unsigned, chained to the current one; also
    return what it changes, in words.  Raise SopError naming the field if the
    proposal breaks the schema or the identity rules, or changes nothing.
    """
    problem = schema_problem("proposal", proposal)
    if problem is not None:
        raise SopError(f"{source}: {problem}")
    entries = sorted(proposal["operators"], key=lambda o: str(o["name"]))
    problems = identity_problems(proposal["operators"])
    if problems:
        raise SopError(f"{source}: {problems[0]}")
    head = _head(trust)
    operators = [
        {
            **entry,
            "roles": [r for r in ROLES if r in entry["roles"]],
            "nip": entry.get("nip"),
        }
        for entry in entries
    ]
    before = [o.as_dict() for o in head.operators] if head else None
    said = changes(before, operators)
    if not said:
        raise SopError(
            _("{source}: the same operators as version {version}; nothing to propose").format(
                source=source, version=head.version if head else 0
            )
        )
    signed = {
        "version": head.version + 1 if head else 1,
        "previous": head.digest if head else None,
        "issued_at": now.astimezone(UTC).isoformat(timespec="seconds"),
        "operators": operators,
    }
    return Document(signed), said


def _published(trust: TrustRoot, version: int) -> Document | None:
    path = trust.registry / f"{version}.json"
    return read_document(path) if path.exists() else None


def check_draft(trust: TrustRoot, doc: Document, label: str) -> list[str]:
    """Given a draft, return what it changes. Raise SopError if it may not be signed.

    It may be signed when it obeys the identity rules and is either the next
    version after the current one, or a version already in the registry with
    the same content (to add a signature, e.g. after the threshold was raised;
    then the rest of the registry need not verify yet).
    """
    problems = identity_problems(doc.signed["operators"])
    if problems:
        raise SopError(f"{label}: {problems[0]}")
    published = _published(trust, doc.version)
    if published is not None:
        if published.digest != doc.digest:
            raise SopError(
                _(
                    "{label}: version {version} is already published with other content; "
                    "propose again from the current registry"
                ).format(label=label, version=doc.version)
            )
        prior = _published(trust, doc.version - 1) if doc.version > 1 else None
        if doc.signed["previous"] != (prior.digest if prior else None):
            raise SopError(
                _("{label}: does not follow version {version}").format(
                    label=label, version=doc.version - 1
                )
            )
        return changes(prior.signed["operators"] if prior else None, doc.signed["operators"])
    head = _head(trust)
    expected = head.version + 1 if head else 1
    if doc.version != expected or doc.signed["previous"] != (head.digest if head else None):
        raise SopError(
            _(
                "{label}: is version {version} but the registry is at version "
                "{current}; propose again from the current registry"
            ).format(label=label, version=doc.version, current=head.version if head else 0)
        )
    before = [o.as_dict() for o in head.operators] if head else None
    return changes(before, doc.signed["operators"])


def sign(trust: TrustRoot, doc: Document, private_key: Ed25519PrivateKey, label: str) -> RootKey:
    """Given a checked draft and a root key holder's private key, add their signature.

    Return the root key that signed.  Raise SopError if the key is not one of
    the trust file's root keys, is retired, or signed this draft already.
    """
    public = public_key_b64(private_key)
    key = trust.root_key_for(public)
    if key is None:
        raise SopError(
            _(
                "{label}: the key {fingerprint} is not a root key of the trust file "
                "{path}; only the pimpinan's root keys sign the registry"
            ).format(label=label, fingerprint=fingerprint(public), path=trust.path)
        )
    if not key.may_sign(doc.version):
        raise SopError(
            _("{label}: root key {keyid!r} is retired after version {version}").format(
                label=label, keyid=key.id, version=key.until_version
            )
        )
    if key in valid_signers(trust, doc):
        raise SopError(
            _("{label}: already signed by root key {keyid!r}").format(label=label, keyid=key.id)
        )
    signature = private_key.sign(canonical(doc.signed).encode()).hex()
    # A stale entry under the same id (a signature over other content) goes.
    doc.signatures = [s for s in doc.signatures if s.get("keyid") != key.id]
    doc.signatures.append({"keyid": key.id, "signature": signature})
    return key


def _write(path: Path, doc: Document, replace: bool) -> None:
    """Given a path and a document, write it atomically (0644); raise OSError as it comes."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(doc.text() + "\n")
        os.chmod(temporary, 0o644)
        if replace:
            os.replace(temporary, path)
        else:
            os.link(temporary, path)  # never over a file that landed meanwhile
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def write_document(path: Path, doc: Document, *, replace: bool = True) -> None:
    """Given a path and a document (a draft), write it atomically (0644).

    With replace False an existing file is never overwritten.  Raise SopError
    if the file exists (replace False) or cannot be written.
    """
    try:
        _write(path, doc, replace)
    except FileExistsError:
        raise SopError(_("{path}: exists already").format(path=path)) from None
    except OSError as exc:
        raise SopError(
            _("{path}: cannot write it ({reason})").format(path=path, reason=exc.strerror)
        ) from None


def publish(trust: TrustRoot, doc: Document) -> Path | None:
    """Given a signed draft, write it as ``<registry>/<N>.json`` once the threshold is reached.

    Return the path written, or None while signatures are missing.  Raise
    SopError if the registry folder is not writable by this user (root and the
    pimpinan's group manage it) or the version landed meanwhile with other content.
    """
    if len(valid_signers(trust, doc)) < trust.threshold:
        return None
    path = trust.registry / f"{doc.version}.json"
    existing = _published(trust, doc.version)
    if existing is not None and existing.digest != doc.digest:
        raise SopError(
            _("{path}: version {version} exists already with other content").format(
                path=path, version=doc.version
            )
        )
    try:
        _write(path, doc, replace=existing is not None)
    except FileExistsError:
        raise SopError(
            _(
                "{path}: another version {version} was published meanwhile; "
                "propose again from the current registry"
            ).format(path=path, version=doc.version)
        ) from None
    except OSError as exc:
        raise SopError(
            _(
                "{path}: cannot write to the registry folder ({reason}); it is managed by "
                "root and the pimpinan: ask root to run `install -m 0644 DRAFT {path}` with "
                "the signed draft"
            ).format(path=path, reason=exc.strerror)
        ) from None
    return path
