"""The session-scoped `lab` fixture: the test lab up once per run, down at the end."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
LAB_INVENTORY = REPO / "inventory" / "lab" / "hosts.yml"
LAB_SERVICES = REPO / "inventory" / "lab" / "services.yml"


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
        user: str = "root",
        check: bool = True,
        timeout: float = 30,
    ) -> subprocess.CompletedProcess[str]:
        """Given a host and a remote command, return the finished `ssh` run."""
        return subprocess.run(
            ["ssh", "-F", self.ssh_config, "-o", "BatchMode=yes", f"{user}@{host}", command],
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
        cmd = [str(self.bin_dir / "ansible"), "-i", str(self.inventory), pattern, "-m", module]
        if args:
            cmd += ["-a", args]
        with tempfile.TemporaryDirectory(prefix="sop-lab-ansible-") as tree:
            env = self.ansible_env()
            env["ANSIBLE_CALLBACKS_ENABLED"] = "ansible.builtin.tree"
            env["ANSIBLE_CALLBACK_TREE_DIR"] = tree
            cp = subprocess.run(
                cmd, capture_output=True, text=True, cwd=REPO, env=env, timeout=120, check=False
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


@pytest.fixture(scope="session")
def lab() -> Iterator[Lab]:
    """Given root on this machine, yield the running lab; take it down even after failures."""
    if os.geteuid() != 0:
        pytest.skip("the lab needs root (network namespaces, mounts, loop devices)")
    from sop_runner.lab import down, up

    # One lab per machine: test sessions running side by side (developers, CI)
    # would tear each other's lab down, so they take turns on this lock.
    with open("/run/sop-lab-session.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = up()
            yield Lab(state=state)
        finally:
            down()
