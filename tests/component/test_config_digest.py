"""The digest a 3.1 approval is bound to: who computes it (the lookup in a real Ansible,
`sop request` in a subprocess) and the lookup's documentation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config.digest import config_digest
from sop_runner.store.models import Request
from tests.support.sop import point_inventory


def test_the_lookup_computes_the_same_digest_as_sop_request() -> None:
    inventory = REPO_ROOT / "inventory" / "lab"
    expected = config_digest(inventory, ["srv1", "rtr1"])
    out = subprocess.run(
        [
            str(Path(sys.executable).parent / "ansible"),
            "localhost",
            "-m",
            "ansible.builtin.debug",
            "-a",
            "msg={{ lookup('sop_config_digest', ['rtr1', 'srv1'], inventory_dir='"
            + str(inventory)
            + "') }}",
        ],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert f'"msg": "{expected}"' in out.stdout


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_sop_request_fixes_the_digest_and_refuses_one_typed_in(sop_env, monkeypatch) -> None:
    point_inventory(str(REPO_ROOT / "inventory" / "lab"))
    args = ["request", "3.1", "--target", "srv1", "--param", "config_ref=pr-1", "--reason", "x"]
    typed = sop_env.sop(*args, "--param", "config_digest=sha256:00", operator="budi")
    assert typed.returncode == 2 and "config_digest" in typed.stderr
    assert "Traceback" not in typed.stderr
    with sop_env.ctx().session() as session:
        assert session.scalar(select(func.count()).select_from(Request)) == 0
    made = sop_env.sop(*args, operator="budi")
    assert made.returncode == 0, made.stderr
    with sop_env.ctx().session() as session:
        request = session.scalars(select(Request)).one()
        assert request.params["config_digest"] == config_digest(
            REPO_ROOT / "inventory" / "lab", ["srv1"]
        )


def test_the_lookup_documentation_renders() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-doc"), "-t", "lookup", "sop_config_digest"],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    assert "config_digest" in out.stdout and "inventory_dir" in out.stdout
