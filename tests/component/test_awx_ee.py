"""The execution environment: `ansible-builder create` (schema v3) writes its build
context from execution-environment.yml without a container engine, with the package, the
collection and the system packages the modules call; its Python pins are the lock's."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import yaml

from sop_runner.awx.collection import build
from sop_runner.config import REPO_ROOT

BIN = Path(sys.executable).parent


def _pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-\[\]]+)==(\S+)$", line.strip())
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_the_ee_pins_are_the_lock_pins():
    lock = _pins(REPO_ROOT / "requirements.lock")
    ee = _pins(REPO_ROOT / "awx" / "requirements-ee.txt")
    assert ee, "no pins read"
    for name, version in ee.items():
        assert lock.get(name) == version, f"{name}: EE {version}, lock {lock.get(name)}"
    spec = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
    core = spec["dependencies"]["ansible_core"]["package_pip"].split("==")[1]
    runner = spec["dependencies"]["ansible_runner"]["package_pip"].split("==")[1]
    assert (core, runner) == (lock["ansible-core"], lock["ansible-runner"])


def test_ansible_builder_create_writes_the_build_context(tmp_path):
    # The collection tarball is one of the EE's build files: `make collection` first.
    build(REPO_ROOT / "build" / "collection")
    context = tmp_path / "context"
    done = subprocess.run(
        [
            *(str(BIN / "ansible-builder"), "create", "-f", "execution-environment.yml"),
            *("-c", str(context), "--output-filename", "Containerfile"),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    containerfile = (context / "Containerfile").read_text()
    assert "FROM" in containerfile and "ansible-galaxy collection install" in containerfile
    files = context / "_build"
    assert (files / "sop" / "pyproject.toml").is_file()
    assert (files / "sop" / "sop_runner" / "gate_check.py").is_file()
    assert list((files / "collection").glob("tegal-sop_pusatdata-*.tar.gz"))
    bindep = (files / "bindep.txt").read_text()
    for package in ("restic", "nftables", "openssh-client"):
        assert package in bindep
    assert "sqlalchemy==" in (files / "requirements.txt").read_text().lower()


def test_ansible_builder_refuses_a_broken_definition(tmp_path):
    # The check above can fail: a definition outside the v3 schema is refused.
    broken = tmp_path / "ee.yml"
    spec = yaml.safe_load((REPO_ROOT / "execution-environment.yml").read_text())
    spec["images"]["base_image"]["nam"] = spec["images"]["base_image"].pop("name")
    broken.write_text(yaml.safe_dump(spec))
    done = subprocess.run(
        [str(BIN / "ansible-builder"), "create", "-f", str(broken), "-c", str(tmp_path / "c")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode != 0
