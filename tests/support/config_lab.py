"""Helpers shared by the SOP 3.1 lab tests (tests/integration/test_config.py and
test_config_network.py).

A desired configuration is a copy of inventory/lab with changed host_vars (what a
pull request would change); the tests point SOP_INVENTORY at it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from sop_runner.config import REPO_ROOT
from sop_runner.procedures.config.models import ConfigLogEntry

CONFIRM = [
    "--confirm",
    "1=dampak dianalisis",
    "--confirm",
    "3=dilaporkan ke pimpinan",
    "--confirm",
    "5=uji coba otomatis lulus",
    "--confirm",
    "6=tercatat",
    "--confirm",
    "7=dokumentasi dibuat",
    "--confirm",
    "8=laporan dikirim",
]


def desired(tmp_path: Path, name: str, host: str, **values: Any) -> Path:
    """Given host_vars changes, return a copy of the lab inventory that desires them."""
    inventory = tmp_path / name
    shutil.copytree(REPO_ROOT / "inventory" / "lab", inventory)
    path = inventory / "host_vars" / f"{host}.yml"
    data = yaml.safe_load(path.read_text())
    data.update(values)
    path.write_text(yaml.safe_dump(data))
    return inventory


def ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    """Given a finished `sop` run, return it; fail the test with its output unless rc 0."""
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def request_change(env: Any, host: str, ref: str) -> int:
    """Given a host and a config_ref, make a 3.1 request as budi; return its id."""
    out = ok(
        env.sop(
            "request",
            "3.1",
            "--target",
            host,
            "--param",
            f"config_ref={ref}",
            "--reason",
            f"perubahan konfigurasi {host} ({ref})",
            operator="budi",
        )
    ).stdout
    return int(out.split()[1])


def config_log(env: Any) -> list[ConfigLogEntry]:
    """Given the sop environment, return the configuration log, oldest first."""
    with env.ctx().session() as session:
        rows = list(session.scalars(select(ConfigLogEntry).order_by(ConfigLogEntry.id)).all())
        session.expunge_all()
    return rows


def running(lab: Any) -> str:
    """Given the lab, return rtr1's running configuration as vtysh shows it."""
    return str(lab.ssh("rtr1", "vtysh -c 'show running-config'").stdout)
