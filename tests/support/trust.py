"""A trust root for tests and the demo: a root-owned trust file and a signed registry.

Run as root (the trust file must be root's).  ``make_trust_root`` creates, in a
fresh folder readable by everyone (so a non-root test user can run `sop`
against it): the trust file (0644), the registry folder with version 1 signed
by the root key(s), and the operators' keys in key_dir (``keys.init_key``).
``publish_version`` adds the next version, signed by the root keys you name.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sop_runner import keys
from sop_runner.config import REPO_ROOT
from sop_runner.operators import Acting
from sop_runner.trust import registry
from sop_runner.trust.init import trust_document, write_trust_file
from sop_runner.trust.trustfile import TrustRoot, load_trust

JABATAN = {
    "pimpinan": "Kepala Dinas Komunikasi dan Informatika",
    "penanggung_jawab": "Penanggung Jawab Pusat Data",
    "petugas": "Petugas Pusat Data",
}


@dataclass
class TrustSetup:
    """A trust root made for one test: where its parts are and the keys it holds."""

    folder: Path
    trust_file: Path
    registry: Path
    key_dir: Path
    trust: TrustRoot
    public_keys: dict[str, str] = field(default_factory=dict)  # operator or root key id → key
    unix_users: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """Return the environment variables that point `sop` at this trust root."""
        return {"SOP_TRUST_FILE": str(self.trust_file), "SOP_KEY_DIR": str(self.key_dir)}

    def remove(self) -> None:
        """Delete the folder holding the trust file and the registry."""
        shutil.rmtree(self.folder, ignore_errors=True)


def operator_entries(
    setup: TrustSetup, operators: Mapping[str, Sequence[str]]
) -> list[dict[str, Any]]:
    """Given {name: roles}, return registry entries with the keys already in setup.key_dir."""
    for name in operators:
        if name not in setup.public_keys:
            setup.public_keys[name] = keys.init_key(setup.key_dir, name, force=True)
    return [
        {
            "name": name,
            "unix_user": setup.unix_users.get(name, name),
            "roles": list(roles),
            "public_key": setup.public_keys[name],
            "full_name": name.title(),
            "nip": None,
            "jabatan": JABATAN[roles[0]],
        }
        for name, roles in operators.items()
    ]


def publish_version(
    setup: TrustSetup,
    operators: Mapping[str, Sequence[str]] | list[dict[str, Any]],
    signers: Sequence[str] | None = None,
    now: datetime | None = None,
) -> registry.Document:
    """Given the operators of the next version, propose it and sign it with the root keys.

    signers names the root key ids that sign (default: as many as the
    threshold needs).  The version lands in the registry once the threshold
    is reached; fewer signers leave it unpublished (returned either way).
    """
    entries = operators if isinstance(operators, list) else operator_entries(setup, operators)
    doc, _ = registry.propose(setup.trust, {"operators": entries}, now or datetime.now(UTC))
    chosen = (
        signers
        if signers is not None
        else [k.id for k in setup.trust.root_keys][: setup.trust.threshold]
    )
    for key_id in chosen:
        registry.sign(setup.trust, doc, keys.load_key(setup.key_dir, key_id), "test draft")
    registry.publish(setup.trust, doc)
    return doc


def make_trust_root(
    operators: Mapping[str, Sequence[str]],
    key_dir: Path,
    *,
    root_keys: Sequence[str] | None = None,
    threshold: int = 1,
    store: str | None = None,
    inventory: Path | None = None,
    unix_users: Mapping[str, str] | None = None,
    base: Path = Path("/var/tmp"),
    owner_uid: int = 0,
) -> TrustSetup:
    """Given {name: roles} and a key dir, create a trust root with registry version 1 signed.

    The root keys default to the operators holding the pimpinan role (their
    own keys), or one key 'pimpinan' when none does.  The folder is made in
    base (a sticky /var/tmp by default, so the path passes the ownership
    rules) and is readable by everyone.  Unit tests that cannot be root pass
    owner_uid=os.getuid() and a base of their own (the trust file is then
    theirs, read with the same owner_uid).  Raise RuntimeError if owner_uid
    is 0 and this is not root.
    """
    if owner_uid == 0 and os.geteuid() != 0:
        raise RuntimeError("make_trust_root: run as root (the trust file must be root's)")
    folder = Path(tempfile.mkdtemp(prefix="sop-trust-", dir=base))
    os.chmod(folder, 0o755)
    ids = list(root_keys or [n for n, r in operators.items() if "pimpinan" in r] or ["pimpinan"])
    public_keys = {name: keys.init_key(key_dir, name, force=True) for name in {*operators, *ids}}
    trust_file = folder / "trust.yml"
    text = trust_document(
        {key_id: public_keys[key_id] for key_id in ids},
        threshold,
        store or f"sqlite:///{folder / 'sop.db'}",
        inventory or REPO_ROOT / "inventory" / "lab",
        folder / "registry",
    )
    if os.geteuid() == 0:
        trust = write_trust_file(trust_file, text)
    else:
        trust_file.write_text(text)
        trust_file.chmod(0o644)
        (folder / "registry").mkdir(mode=0o755)
        trust = load_trust(trust_file, owner_uid=owner_uid)
    setup = TrustSetup(
        folder=folder,
        trust_file=trust_file,
        registry=trust.registry,
        key_dir=key_dir,
        trust=trust,
        public_keys=public_keys,
        unix_users=dict(unix_users or {}),
    )
    publish_version(setup, operators)
    return setup


def with_witness(setup: TrustSetup, witness: dict[str, object], path: Path | None = None) -> Any:
    """Given a trust root and a witness part, write its trust file again with the witness.

    Written to ``path`` (default the setup's own trust file); return the loaded TrustRoot.
    """
    from sop_runner.trust.init import trust_document, write_trust_file

    text = trust_document(
        {"ahmad": setup.public_keys["ahmad"]},
        1,
        setup.trust.store,
        setup.trust.inventory,
        setup.trust.registry,
        witness=witness,
        issuer=setup.trust.issuer.as_document() if setup.trust.issuer else None,
    )
    return write_trust_file(path or setup.trust_file, text, force=True)


def acting(
    reg: registry.Registry, key_dir: Path, name: str, trust: TrustRoot | None = None
) -> Acting:
    """Given a registry version, the key folder and a name, return that person acting."""
    return Acting(reg.operator(name), reg.version, key_dir, trust)


def throwaway_acting(
    key_dir: Path, name: str = "budi", roles: Sequence[str] = ("petugas",)
) -> tuple[Acting, registry.Registry]:
    """Given a key folder, return someone acting under a one-person registry made in memory
    (and that registry).

    For tests of the store itself (no trust root), which still write signed requests.
    """
    public = keys.init_key(key_dir, name, force=True)
    entry = {
        "name": name,
        "unix_user": name,
        "roles": list(roles),
        "public_key": public,
        "full_name": name.title(),
        "nip": None,
        "jabatan": JABATAN[roles[0]],
    }
    reg = registry.Registry(
        version=1,
        digest="0" * 64,
        previous=None,
        issued_at=datetime.now(UTC).isoformat(),
        operators=(registry.RegistryOperator(**{**entry, "roles": tuple(roles)}),),
    )
    return acting(reg, key_dir, name), reg
