"""An isolated sop installation for tests: its own store, operators with real ed25519
keys, an inventory of two local hosts, and the real `sop` command run in a subprocess."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from sop_runner.config import REPO_ROOT, load_settings
from sop_runner.context import Context
from tests.support.trust import TrustSetup, make_trust_root

OPERATORS = {
    "budi": ["petugas"],
    "dewi": ["petugas"],
    "sari": ["penanggung_jawab"],
    "rudi": ["penanggung_jawab", "petugas"],
    "ahmad": ["pimpinan"],
}

# Two names for the controller, so "other targets" can be tested without a lab.
LOCAL_HOSTS = "\n".join(
    f"        {name}: {{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}"
    for name in ("ctl1", "ctl2")
)
LOCAL_SERVICES = (
    "services:\n"
    "  - {name: portal, title: Portal, opd: Diskominfo, criticality: normal, hosts: [ctl1]}\n"
    "  - {name: simpeg, title: SIMPEG, opd: BKPSDM, criticality: critical, hosts: [ctl2]}\n"
)


def run_sop(
    *args: str, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Given command-line arguments and an environment, return the finished `sop` run."""
    return subprocess.run(
        [sys.executable, "-m", "sop_runner.cli", *args],
        capture_output=True,
        text=True,
        env=dict(os.environ if env is None else env),
        cwd=REPO_ROOT,
        timeout=timeout,
    )


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Given a finished `sop` run, return it; fail the test with its output unless rc 0."""
    assert result.returncode == 0, result.stdout + result.stderr
    return result


@dataclass
class SopEnv:
    """An isolated sop installation: its own trust root (store, registry, inventory) and keys."""

    root: Path
    db_url: str
    trust: TrustSetup

    def ctx(self) -> Context:
        """Return a Context of this installation, as `sop` would build it.

        As root it reads the trust file like the product (it may have been
        re-pointed by ``point_inventory``); without root (unit tests) the trust
        root made in memory is handed in.
        """
        if os.geteuid() == 0:
            return Context()
        return Context(settings=replace(load_settings(), preset_trust=self.trust.trust))

    def use_inventory(self, inventory: Path) -> None:
        """Given another inventory, point this installation's trust root at it (as root)."""
        self.trust.trust = point_inventory(inventory)

    def extravars(self, request_id: int | str, **changed: Any) -> dict[str, Any]:
        """Given a request, return the extra vars a plain ansible-playbook gives its play
        (`sop params ID`): sop_request and sop_params, with ``changed`` parameters."""
        from sop_runner.store.models import Request

        with self.ctx().session() as session:
            request = session.get(Request, int(request_id))
            assert request is not None
            params = dict(request.params)
        return {"sop_request": int(request_id), "sop_params": {**params, **changed}}

    def sop(self, *args: str, operator: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `sop` command in a subprocess; return its result."""
        env = dict(os.environ)
        if operator:
            env["SOP_OPERATOR"] = operator
        return run_sop(*args, env=env)


def write_inventory(folder: Path) -> Path:
    """Given a folder, write the two local hosts and their services there; return it."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "hosts.yml").write_text(
        f"all:\n  children:\n    servers:\n      hosts:\n{LOCAL_HOSTS}\n"
    )
    (folder / "services.yml").write_text(LOCAL_SERVICES)
    return folder


def isolated_sop(
    root: Path,
    db_url: str,
    monkeypatch: pytest.MonkeyPatch,
    inventory: Path | None = None,
) -> SopEnv:
    """Given a folder and a store URL, return a sop installation living in that folder.

    Its trust root (a root-owned trust file naming the store, the inventory and a
    registry signed by ahmad's root key, with every operator of OPERATORS) is made
    as root; without root (unit tests) the trust file is the test user's own and
    only ``SopEnv.ctx()`` uses it.  The caller's own settings reach `sop` through the
    environment (monkeypatch undoes them); the trust root lives in the test's folder.
    """
    inventory = inventory or write_inventory(root / "inventory")
    as_root = os.geteuid() == 0
    setup = make_trust_root(
        OPERATORS,
        root / "keys",
        store=db_url,
        inventory=inventory,
        base=root,
        owner_uid=0 if as_root else os.getuid(),
    )
    monkeypatch.setenv("SOP_TRUST_FILE", str(setup.trust_file))
    monkeypatch.setenv("SOP_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("SOP_KEY_DIR", str(root / "keys"))
    for name in ("SOP_OPERATOR", "SOP_CONFIG", "SOP_DB_URL", "SOP_INVENTORY", "SOP_OPERATORS_FILE"):
        monkeypatch.delenv(name, raising=False)
    return SopEnv(root, db_url, setup)


def inventory_context(folder: Path, inventory: Path) -> Context:
    """Given a scratch folder and an inventory, return a Context reading that inventory.

    Its trust root is made in memory (no root needed): for unit tests of what reads
    the inventory and the catalog; its store is a SQLite file in the folder.
    """
    from sop_runner.trust.trustfile import TrustRoot

    trust = TrustRoot(
        path=folder / "trust.yml",
        threshold=1,
        root_keys=(),
        store=f"sqlite:///{folder / 'sop.db'}",
        inventory=inventory,
        registry=folder / "registry",
    )
    return Context(settings=replace(load_settings(), preset_trust=trust))


def _trust_in_force() -> Any:
    from sop_runner.trust.trustfile import load_trust

    return load_trust(Path(os.environ["SOP_TRUST_FILE"]))


def point_inventory(inventory: Path | str) -> Any:
    """Given an inventory, make the test's trust root (named by $SOP_TRUST_FILE) name it.

    Root rewrites the trust file, as an administrator would; nothing else may move it.
    Return the trust root now in force.
    """
    from sop_runner.trust.init import trust_document, write_trust_file

    trust = _trust_in_force()
    text = trust_document(
        {key.id: key.public_key for key in trust.root_keys},
        trust.threshold,
        trust.store,
        Path(inventory),
        trust.registry,
        issuer=trust.issuer.as_document() if trust.issuer else None,
    )
    return write_trust_file(trust.path, text, force=True)


def current_inventory() -> str:
    """Return the inventory the test's trust root names."""
    return str(_trust_in_force().inventory)


def current_store() -> str:
    """Return the store URL the test's trust root names."""
    return str(_trust_in_force().store)


# Who takes over when a run reaches a step of another role (never the requester).
HANDOVER = {
    "penanggung_jawab": ("sari", "rudi"),
    "pimpinan": ("ahmad",),
    "petugas": ("budi", "dewi"),
}
# The hand-over line in either language (sop_runner/locale/id: "adalah tugas").
_WAITS_FOR = re.compile(r"(?:is for the|adalah tugas) (\w+);")


def run_through(
    sop: Callable[..., subprocess.CompletedProcess[str]],
    request_id: int | str,
    *args: str,
    operator: str = "budi",
    requester: str = "budi",
) -> subprocess.CompletedProcess[str]:
    """Given `sop` of an installation and a request, carry out its run as the document
    has it: each person confirms or runs the steps of their role, handing over to the
    next (a penanggung jawab's or the pimpinan's step waits for them).

    Return the last `sop run`; it stops on anything but a hand-over.
    """
    result = sop("run", str(request_id), *args, operator=operator)
    for _ in range(8):
        waiting = _WAITS_FOR.search(result.stderr)
        if result.returncode == 0 or waiting is None:
            return result
        role = waiting.group(1)
        operator = next(o for o in HANDOVER[role] if o != requester)
        result = sop("run", str(request_id), *args, operator=operator)
    return result
