"""The control node of an attack test: a trust root made by root, a petugas' Unix account.

Root (the test) sets up a trust root: a root-owned trust file naming the store
(a SQLite file in the petugas' home), an inventory of the controller (ctl1,
serving the normal service portal, and ctl2, serving the critical simpeg) and
a registry signed by the pimpinan's root key, with budi (petugas; his Unix
user is the throwaway account), sari (penanggung jawab) and ahmad (pimpinan).
Every `sop` and `ansible-playbook` of the test runs as that account.  budi's
key folder holds his own key only; sari's and ahmad's actions are run with
their own key folders (what they hold on their own accounts).
"""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sop_runner import keys
from sop_runner.config import REPO_ROOT
from tests.support.attacker import RUNUSER, as_user, sop, throwaway_user
from tests.support.trust import TrustSetup, make_trust_root

BIN = Path(sys.executable).parent


@dataclass
class Office:
    """The control node of the test: its trust root, the petugas' account, the key folders."""

    setup: TrustSetup
    user: str
    home: Path
    store: Path

    @property
    def inventory(self) -> Path:
        return self.home / "inventory"

    def keys_of(self, name: str) -> Path:
        return self.home / f"keys-{name}"

    def env(self, name: str | None = "budi", **extra: str) -> dict[str, str]:
        env = {
            "SOP_TRUST_FILE": str(self.setup.trust_file),
            "SOP_KEY_DIR": str(self.keys_of(name or "budi")),
            "SOP_DATA_DIR": str(self.home / "data"),
            **extra,
        }
        return env

    def sop(self, *args: str, name: str | None = "budi", **extra: str):  # type: ignore[no-untyped-def]
        """Run `sop` on the petugas' account with the key folder of `name`, acting as `name`
        unless --as says otherwise (None: no operator named, the Unix user decides)."""
        env = self.env(name, **extra)
        if name:
            env["SOP_OPERATOR"] = name
        return sop(*args, env=env, user=self.user)

    def play(self, playbook: str, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a plain `ansible-playbook playbooks/PLAYBOOK ARGS` on the petugas' account."""
        env = {
            "PATH": f"{BIN}:/usr/bin:/bin",
            "HOME": str(self.home),
            "LANG": "C.UTF-8",
            "ANSIBLE_CONFIG": str(REPO_ROOT / "ansible.cfg"),
            "SOP_TRUST_FILE": str(self.setup.trust_file),
            "SOP_DATA_DIR": str(self.home / "data"),
        }
        command = [
            str(BIN / "ansible-playbook"),
            "-i",
            str(self.inventory / "hosts.yml"),
            str(REPO_ROOT / "playbooks" / playbook),
            *args,
        ]
        return subprocess.run(
            [RUNUSER, "-u", self.user, "--", "env", "-i", *(f"{k}={v}" for k, v in env.items()),
             *command],
            capture_output=True, text=True, cwd=REPO_ROOT, timeout=300,
        )  # fmt: skip

    def own(self, path: Path) -> Path:
        """Given a path root made, give it to the petugas; return it."""
        info = pwd.getpwnam(self.user)
        os.chown(path, info.pw_uid, info.pw_gid)
        return path

    def count(self, table: str) -> int:
        with sqlite3.connect(self.store) as conn:
            return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


_LOCAL = f"{{ansible_connection: local, ansible_python_interpreter: {sys.executable}}}"
INVENTORY = "all:\n  children:\n    servers:\n      hosts:\n" + "".join(
    f"        {name}: {_LOCAL}\n" for name in ("ctl1", "ctl2")
)
SERVICES = (
    "services:\n"
    "  - {name: portal, title: Portal, opd: Diskominfo, criticality: normal, hosts: [ctl1]}\n"
    "  - {name: simpeg, title: SIMPEG, opd: BKPSDM, criticality: critical, hosts: [ctl2]}\n"
)


@contextmanager
def office_for(tmp_path: Path) -> Iterator[Office]:
    """Given a scratch folder of root's, yield the control node of an attack test."""
    with throwaway_user() as user:
        info = pwd.getpwnam(user)
        home = Path(info.pw_dir)
        inventory = home / "inventory"
        as_user(user, "mkdir -p inventory data")
        (inventory / "hosts.yml").write_text(INVENTORY)
        (inventory / "services.yml").write_text(SERVICES)
        store = home / "data" / "sop.db"
        roster = {"ahmad": ["pimpinan"], "sari": ["penanggung_jawab"], "budi": ["petugas"]}
        setup = make_trust_root(
            roster,
            tmp_path / "root-keys",
            store=f"sqlite:///{store}",
            inventory=inventory,
            unix_users={"budi": user, "sari": "sari-account", "ahmad": "ahmad-account"},
        )
        office = Office(setup, user, home, store)
        for name in roster:  # each person's own key, in a folder of their own
            folder = office.keys_of(name)
            folder.mkdir(mode=0o700)
            shutil.copy(keys.key_path(setup.key_dir, name), folder)
            for path in (folder, *folder.iterdir()):
                os.chown(path, info.pw_uid, info.pw_gid)
            os.chmod(keys.key_path(folder, name), 0o600)
        for path in (inventory, *inventory.iterdir()):
            os.chown(path, info.pw_uid, info.pw_gid)
        try:
            yield office
        finally:
            setup.remove()
