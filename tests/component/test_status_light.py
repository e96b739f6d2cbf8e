"""`sop status` reads the store without SQLAlchemy (issue 17, start-up) and says exactly
what the ORM path says: the same text and the same JSON, on SQLite and PostgreSQL, for a
request with approvals, runs, a gate after the analysis (SOP 4.2's Pimpinan, `after`)
and one whose gate still waits; and the same one-line refusal for an unknown id.

The ORM path is the same `sop status` with the light reader turned off
(sop_runner.store_reads.reader yields None, as it does for a store it cannot read).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sop_runner.config import REPO_ROOT
from sop_runner.requests import new_request
from sop_runner.store.models import Run, StepRecord
from tests.support.sop import ok

# `sop ARGS` in-process; "orm" turns the light reader off first.  Writes the loaded
# modules to the file named first, so the light run is seen to skip SQLAlchemy.
RUN = """
import atexit, contextlib, runpy, sys
path, listing = sys.argv.pop(1), sys.argv.pop(1)
if path == "orm":
    import sop_runner.store_reads as reads

    @contextlib.contextmanager
    def none(url):
        yield None

    reads.reader = none
atexit.register(lambda: open(listing, "w").write("\\n".join(sorted(sys.modules))))
runpy.run_module("sop_runner.cli", run_name="__main__", alter_sys=True)
"""

WINDOW = "2026-12-05T22:00+07:00/2026-12-06T02:00+07:00"


def _status(
    tmp_path: Path, path: str, *args: str
) -> tuple[subprocess.CompletedProcess[str], set[str]]:
    listing = tmp_path / f"modules-{path}.txt"
    run = subprocess.run(
        [sys.executable, "-c", RUN, path, str(listing), "status", *args],
        capture_output=True, text=True, env={**os.environ, "COLUMNS": "200"}, cwd=REPO_ROOT,
        timeout=120,
    )  # fmt: skip
    return run, set(listing.read_text().split()) if listing.exists() else set()


def _analysed_upgrade(env) -> int:
    """Given an installation, return a 4.2 request whose order is approved, whose analysis
    (steps 1–4, one step redone) is recorded in a run, and whose Pimpinan approved after."""
    params = {"repository": "/var/backups/restic", "maintenance_window": WINDOW}
    request = new_request(env.ctx(), "4.2", ["ctl2"], params, "pembaruan keamanan", "budi")
    ok(env.sop("approve", str(request.id), operator="sari"))
    start = datetime.now(UTC) - timedelta(minutes=30)
    with env.ctx().session() as session:
        run = Run(request_id=request.id, operator="budi", status="waiting", started_at=start)
        session.add(run)
        session.flush()
        records = [(1, "gate", "done", {}), (2, "automated", "failed", {})]
        records += [(2, "automated", "done", {}), (3, "human", "done", {"choice": "sesuai"})]
        records += [(4, "human", "done", {})]
        for minute, (number, kind, status, data) in enumerate(records):
            at = start + timedelta(minutes=minute + 1)
            session.add(
                StepRecord(
                    run_id=run.id, step_number=number, kind=kind, status=status,
                    confirmed_by="budi" if kind == "human" else None, note=f"catatan {number}",
                    started_at=at, ended_at=at + timedelta(seconds=30), duration_seconds=30.0,
                    standard_max_seconds=600, over_standard=minute == 4, data=data,
                )
            )  # fmt: skip
    ok(env.sop("approve", str(request.id), "--step", "6", operator="ahmad"))
    return request.id


@pytest.mark.parametrize("db_url", ["sqlite", "postgresql"], indirect=True)
def test_status_says_what_the_orm_path_says(sop_env, tmp_path):
    upgrade = _analysed_upgrade(sop_env)
    waiting = ok(
        sop_env.sop(
            "request", "6.1", "--target", "ctl1", "--reason", "pembersihan", "--quiet",
            "--param", "cleanup_path=/var/tmp/sop-light", "--param", "max_age_days=30",
            operator="budi",
        )
    ).stdout.strip()  # fmt: skip
    cases = [(str(upgrade),), (str(upgrade), "--json"), (str(upgrade), "--lang", "en")]
    for args in [*cases, (waiting,), (waiting, "--json")]:
        light, modules = _status(tmp_path, "light", *args)
        orm, orm_modules = _status(tmp_path, "orm", *args)
        assert light.returncode == 0, light.stderr[-2000:]
        assert (light.stdout, light.stderr) == (orm.stdout, orm.stderr), args
        assert "sqlalchemy" not in modules and "sqlalchemy" in orm_modules  # two paths
    shown = json.loads(_status(tmp_path, "light", str(upgrade), "--json")[0].stdout)
    (late,) = [g for g in shown["gates"] if g["role_id"] == "pimpinan"]
    assert (late["after"], late["not_yet"], late["verdict"]) == ([2, 3, 4], [], "ok")
    assert [a["valid"] for a in late["approvals"]] == [True]
    assert [s["number"] for s in shown["runs"][0]["steps"]] == [1, 2, 2, 3, 4]
    assert late["decides_on"][1]["choice"].startswith("Sesuai")
    pending = json.loads(_status(tmp_path, "light", waiting, "--json")[0].stdout)
    assert [w["what"] for w in pending["waiting_for"]] == ["approval"]


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_an_unknown_request_is_refused_alike(sop_env, tmp_path):
    ok(sop_env.sop("request", "6.1", "--target", "ctl1", "--reason", "x", "--quiet",
                   "--param", "cleanup_path=/var/tmp/x", "--param", "max_age_days=3",
                   operator="budi"))  # fmt: skip
    light, _modules = _status(tmp_path, "light", "99")
    orm, _modules = _status(tmp_path, "orm", "99")
    assert light.returncode == orm.returncode == 2
    assert light.stderr == orm.stderr and light.stderr.count("\n") == 1, light.stderr
