"""What integration tests need of the lab: its addresses, SSH and ad-hoc Ansible (`Lab`),
and a sop installation that drives it (`LabEnv`, behind the `lab_env` fixture)."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from sop_runner.config import REPO_ROOT
from tests.support.issuer import RunningIssuer, serving
from tests.support.sop import SopEnv
from tests.support.trust import TrustSetup

LAB_INVENTORY_DIR = REPO_ROOT / "inventory" / "lab"
LAB_INVENTORY = LAB_INVENTORY_DIR / "hosts.yml"
LAB_SERVICES = LAB_INVENTORY_DIR / "services.yml"


@dataclass
class Lab:
    """What a test needs to reach the lab: addresses, keys, and small helpers."""

    state: Any
    inventory: Path = LAB_INVENTORY
    services: Path = LAB_SERVICES
    bin_dir: Path = field(default_factory=lambda: Path(sys.executable).parent)

    @property
    def ssh_config(self) -> str:
        return str(self.state.ssh_config)

    def address(self, host: str) -> str:
        """Given a host name, return its management address."""
        return str(self.state.hosts[host]["address"])

    def ssh(
        self,
        host: str,
        command: str,
        *,
        user: str | None = None,
        check: bool = True,
        timeout: float = 30,
    ) -> subprocess.CompletedProcess[str]:
        """Given a host and a remote command, return the finished `ssh` run.

        The admin path: the lab's admin key, as the admin account (uid 0) unless `user`
        names another; never the automation path (that takes certificates only).
        """
        login = f"{user or self.state.admin_user}@{host}"
        return subprocess.run(
            ["ssh", "-F", self.ssh_config, "-o", "BatchMode=yes", login, command],
            capture_output=True,
            text=True,
            check=check,
            timeout=timeout,
        )

    def ansible_env(self) -> dict[str, str]:
        """Given the environment, return it with the lab's Ansible settings added."""
        env = dict(os.environ)
        env.update(
            {
                "ANSIBLE_HOST_KEY_CHECKING": "False",
                "ANSIBLE_DEPRECATION_WARNINGS": "False",
                "ANSIBLE_LOAD_CALLBACK_PLUGINS": "1",
                "ANSIBLE_STDOUT_CALLBACK": "ansible.builtin.minimal",
                "ANSIBLE_NOCOLOR": "1",
            }
        )
        return env

    def ansible(self, pattern: str, module: str, args: str = "") -> dict[str, Any]:
        """Given a host pattern and a module, return {host: result} of an ad-hoc run.

        Results come from ansible-core's own `tree` callback (one JSON file per host).
        """
        # The admin path: the inventory names no key (its hosts take certificates only).
        admin = [
            "-e", f"ansible_user={self.state.admin_user}",
            "-e", f"ansible_ssh_private_key_file={self.state.ssh_key}",
        ]  # fmt: skip
        cmd = [str(self.bin_dir / "ansible"), "-i", str(self.inventory), *admin, pattern]
        cmd += ["-m", module]
        if args:
            cmd += ["-a", args]
        with tempfile.TemporaryDirectory(prefix="sop-lab-ansible-") as tree:
            env = self.ansible_env()
            env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.builtin.tree"
            env["ANSIBLE_CALLBACK_TREE_DIR"] = tree
            cp = subprocess.run(
                cmd,
                capture_output=True,
                text=True,
                cwd=REPO_ROOT,
                env=env,
                timeout=120,
                check=False,
            )
            results = {p.name: json.loads(p.read_text()) for p in Path(tree).iterdir()}
        if not results:
            raise AssertionError(
                f"ansible gave no results (rc {cp.returncode}): {cp.stdout[-800:]} "
                f"{cp.stderr[-800:]}"
            )
        return results

    def refresh(self) -> None:
        """Given a lab brought up again, return once this object holds the new state."""
        from sop_runner.lab import LabState

        state = LabState.load()
        assert state is not None, "the lab state file is missing"
        self.state = state


@dataclass
class LabEnv(SopEnv):
    """A sop installation of its own (store, keys, operators) whose inventory is the lab's.

    `restic_password` is what restic gets, from a private file (SOP_RESTIC_PASSWORD_FILE),
    never from the environment; `repo` is a restic repository for this test alone, on the
    backup host over SFTP (not created yet).
    """

    lab: Lab
    restic_password: str
    repo: str


def lab_environment(sop: SopEnv, lab: Lab, monkeypatch: pytest.MonkeyPatch) -> LabEnv:
    """Given an isolated sop installation and the lab, return it pointed at the lab."""
    sop.use_inventory(LAB_INVENTORY_DIR)
    password = "uji-" + uuid.uuid4().hex
    secret = sop.root / "restic.pass"
    secret.touch(mode=0o600)
    secret.write_text(password)
    monkeypatch.setenv("SOP_RESTIC_PASSWORD_FILE", str(secret))
    monkeypatch.delenv("RESTIC_PASSWORD", raising=False)
    repo = f"sftp:root@backup:/srv/restic/test-{uuid.uuid4().hex[:8]}"
    return LabEnv(sop.root, sop.db_url, sop.trust, lab, password, repo)


@contextlib.contextmanager
def lab_serving(setup: TrustSetup, lab: Lab) -> Iterator[RunningIssuer]:
    """Given a test's trust root and the lab, yield the issuer serving it with the lab's CA
    (the one the lab's hosts trust) for the controller's address."""
    with serving(setup.trust_file, Path(lab.state.ca_key), [str(lab.state.controller)]) as running:
        setup.trust = running.trust
        yield running
