"""An isolated sop installation for tests: its own store, operators with real ed25519
keys, an inventory of two local hosts, and the real `sop` command run in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from sop_runner import keys
from sop_runner.config import REPO_ROOT
from sop_runner.context import Context

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


def write_operators(path: Path, key_dir: Path) -> None:
    """Given a file and a key folder, write OPERATORS there, each with a new key pair."""
    lines = ["operators:"]
    for name, roles in OPERATORS.items():
        public = keys.init_key(key_dir, name, force=True)
        lines += [
            f"  - name: {name}",
            f"    roles: [{', '.join(roles)}]",
            f"    public_key: {public}",
        ]
    path.write_text("\n".join(lines) + "\n")


@dataclass
class SopEnv:
    """An isolated sop installation: its own store, keys, operators and inventory."""

    root: Path
    db_url: str

    def ctx(self) -> Context:
        return Context()

    def sop(self, *args: str, operator: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the real `sop` command in a subprocess; return its result."""
        env = dict(os.environ)
        if operator:
            env["SOP_OPERATOR"] = operator
        return run_sop(*args, env=env)


def isolated_sop(root: Path, db_url: str, monkeypatch: pytest.MonkeyPatch) -> SopEnv:
    """Given a folder and a store URL, return a sop installation living in that folder.

    The settings reach `sop` through the environment (monkeypatch undoes them), so both
    the test's own Context() and the `sop` subprocesses it starts use this installation.
    """
    inventory = root / "inventory"
    inventory.mkdir()
    (inventory / "hosts.yml").write_text(
        f"all:\n  children:\n    servers:\n      hosts:\n{LOCAL_HOSTS}\n"
    )
    (inventory / "services.yml").write_text(LOCAL_SERVICES)
    monkeypatch.setenv("SOP_DATA_DIR", str(root / "data"))
    monkeypatch.setenv("SOP_KEY_DIR", str(root / "keys"))
    monkeypatch.setenv("SOP_OPERATORS_FILE", str(root / "operators.yml"))
    monkeypatch.setenv("SOP_INVENTORY", str(inventory))
    monkeypatch.setenv("SOP_DB_URL", db_url)
    monkeypatch.delenv("SOP_OPERATOR", raising=False)
    monkeypatch.delenv("SOP_CONFIG", raising=False)
    write_operators(root / "operators.yml", root / "keys")
    return SopEnv(root, db_url)
