"""`sop requests` reads the store without SQLAlchemy, as `sop status` does (issue 17,
start-up), and lists exactly what the ORM path lists: the same text and the same JSON, on
SQLite and PostgreSQL, with each filter (--state, --mine with --as, --pending-for).

The ORM path is the same command with the light reader turned off (see
tests/component/test_status_light.py, whose installation and runner this reuses).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from tests.component.test_status_light import RUN, _analysed_upgrade
from tests.support.sop import ok


def _requests(
    tmp_path: Path, path: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    listing = tmp_path / f"modules-{path}.txt"
    run = subprocess.run(
        [sys.executable, "-c", RUN, path, str(listing), "requests", *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, cwd=REPO_ROOT,
        timeout=120,
    )  # fmt: skip
    return run, set(listing.read_text().split()) if listing.exists() else set()


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_requests_lists_what_the_orm_path_lists(sop_env, tmp_path):
    _analysed_upgrade(sop_env)
    for operator, reason in (("budi", "pembersihan"), ("sari", "pembersihan lagi")):
        ok(
            sop_env.sop(
                "request", "6.1", "--target", "ctl1", "--reason", reason, "--quiet",
                "--param", "cleanup_path=/var/tmp/sop-light", "--param", "max_age_days=30",
                operator=operator,
            )
        )  # fmt: skip
    ok(sop_env.sop("cancel", "3", "--reason", "tidak jadi", operator="sari"))
    # Each filter once on SQLite; on PostgreSQL its driver's types (JSON, times) in JSON.
    cases: list[tuple[str, ...]] = [("--json",)]
    if "sqlite" in sop_env.db_url:
        cases = [("--pending-for", "sari"), ("--lang", "en", "--state", "open")]
        cases += [("--mine", "--as", "budi", "--json")]
    for args in cases:
        light, modules = _requests(tmp_path, "light", *args)
        orm, orm_modules = _requests(tmp_path, "orm", *args)
        assert light.returncode == 0, light.stderr[-2000:]
        assert (light.stdout, light.stderr) == (orm.stdout, orm.stderr), args
        assert "sqlalchemy" not in modules and "sqlalchemy" in orm_modules  # two paths
        if args == ("--pending-for", "sari"):  # 3 was cancelled, 1 waits for its run
            assert "sop approve 2" in light.stdout and "sop approve 3" not in light.stdout
