"""SOP 1.1 with the register (issue 18): a delivery is received at the loading dock (its
devices registered *received*), a run of 1.1 says it waited past its Mutu Baku (1 Hari),
moves it to the staging area (devices *staged*), and waits at step 3 until the
completeness check against the packing list is recorded, then says what is missing."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from sop_runner.errors import SopError
from sop_runner.execution import run_request
from sop_runner.procedures import register
from sop_runner.requests import new_request
from sop_runner.store.models import Run, StepRecord
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


@SQLITE
def test_1_1_receives_warns_past_one_day_stages_and_checks_completeness(sop_env):
    ctx = sop_env.ctx()
    with ctx.session() as s:
        register.add_room(s, "loading-dock", "loading_dock", "budi", "Area bongkar muat")
        register.add_room(s, "area-staging", "staging_area", "budi", "Area staging")
    arrived = (datetime.now(UTC) - timedelta(days=2)).isoformat(timespec="minutes")
    ok(sop_env.sop(
        "register", "delivery", "receive", "--vendor", "PT Sinar Data", "--document", "SJ-0042",
        "--item", "server R650=2", "--item", "rail kit=2", "--device", "srv21:SN-A",
        "--device", "srv22:SN-B", "--kind", "server", "--u-height", "1", "--power-w", "350",
        "--arrived", arrived, operator="budi",
    ))  # fmt: skip
    with ctx.session() as s:
        srv21 = register.device_dict(s, register.get_device(s, "srv21"))
    assert (srv21["status"], srv21["room"], srv21["serial"]) == ("received", "loading-dock", "SN-A")
    overdue = sop_env.sop("register", "delivery", "overdue")
    assert overdue.returncode == 1 and "melewati Mutu Baku 1 Hari" in overdue.stdout

    request = new_request(ctx, "1.1", ["loading-dock"], {"delivery": 1}, "barang datang", "budi")
    with pytest.raises(SopError, match="catat dulu pemeriksaan kelengkapan"):
        run_request(sop_env.ctx(), request.id, "budi")
    with ctx.session() as s:
        srv21 = register.device_dict(s, register.get_device(s, "srv21"))
    assert (srv21["status"], srv21["room"]) == ("staged", "area-staging")
    listed = json.loads(ok(sop_env.sop("register", "delivery", "list", "--json")).stdout)
    assert listed["deliveries"][0]["late_hours"] >= 23  # staged a day late
    refused = sop_env.sop(
        "register", "delivery", "check", "1", "--found", "kabel=1", operator="budi"
    )
    assert refused.returncode == 2 and "'kabel' tidak ada di packing list" in refused.stderr
    ok(sop_env.sop(
        "register", "delivery", "check", "1", "--found", "server R650=2", "--found",
        "rail kit=1", "--note", "satu rail kit tidak ada", operator="budi",
    ))  # fmt: skip
    outcome = run_request(sop_env.ctx(), request.id, "budi")
    assert outcome.status == "succeeded"
    with ctx.session() as s:
        run = s.scalars(select(Run).where(Run.request_id == request.id)).one()
        notes = {
            r.step_number: r.note
            for r in s.scalars(select(StepRecord).where(StepRecord.run_id == run.id))
            if r.status == "done"
        }
    assert "melewati Mutu Baku 1 Hari" in notes[1] and "SJ-0042" in notes[1]
    assert notes[2].startswith("Dipindahkan ke area staging; PERINGATAN")
    assert notes[3] == "TIDAK lengkap: rail kit 1/2"
