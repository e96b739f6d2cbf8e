"""SOP 1.2 from the register (issue 18): step 2's resource check decides the branch; a device
that fits is registered at step 4 (rack and U, feed, address, cable, active); one that does
not (no contiguous U, power over the derated budget, no free address) ends "ditunda" at
step 3 with the shortfall as its report, and nothing is registered."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from sop_runner.answers import Answers
from sop_runner.errors import SopError
from sop_runner.execution import run_request
from sop_runner.procedures import register
from sop_runner.requests import new_request
from sop_runner.store.models import Run, StepRecord
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
LATER = {5: "dipasang", 6: "dilabel", 7: "laporan ke penanggung jawab"}


def _site(env) -> None:
    with env.ctx().session() as s:
        register.add_room(s, "server-farm", "server_farm", "budi")
        register.add_rack(s, "R01", "server-farm", "budi", 42)
        register.add_rack(s, "R02", "server-farm", "budi", 3)
        register.add_feed(s, "PDU-A", 2000, "budi", rack="R01")
        register.add_feed(s, "PDU-SMALL", 500, "budi")  # 400 W usable
        register.add_device(s, "sw1", "budi", kind="switch", u_height=1, power_w=100)
        register.place_device(s, "sw1", "budi", rack="R01", position=42, feed="PDU-A")
        register.set_interface(s, "sw1", "ge-0/0/1", "budi")
        register.add_device(s, "old", "budi", u_height=2)
        register.place_device(s, "old", "budi", rack="R02", position=2)  # only U1 is free
        register.add_prefix(s, "10.10.0.0/24", "budi")
        register.add_prefix(s, "10.20.0.0/30", "budi")
        register.assign_address(s, "10.20.0.1/30", "sw1", "vlan20", "budi")
        register.assign_address(s, "10.20.0.2/30", "sw1", "vlan21", "budi")
        for n in (1, 2, 3, 4):
            register.add_device(
                s, f"srv{n}", "budi", status="received", code=f"SRV-0{n}", u_height=2, power_w=450
            )


def _run(env, params: dict, insist: str = "") -> tuple[int, str, dict[int, StepRecord]]:
    """Given a 1.2 request's parameters, request, approve and run it; return how it ended
    and its step records.  ``insist``: first a petugas' --choose 2=… the register denies."""
    ctx = env.ctx()
    request = new_request(ctx, "1.2", ["ctl1"], params, "pasang server baru", "budi")
    ok(env.sop("approve", str(request.id), operator="sari"))
    if insist:
        answers = Answers(choices={2: insist}, notes=dict(LATER))
        with pytest.raises(SopError, match=f"--choose 2: '{insist}' bertentangan dengan catatan"):
            run_request(env.ctx(), request.id, "budi", answers=answers)
    outcome = run_request(env.ctx(), request.id, "budi", confirmations=dict(LATER))
    with ctx.session() as s:
        run = s.scalars(select(Run).where(Run.request_id == request.id)).one()
        rows = s.scalars(select(StepRecord).where(StepRecord.run_id == run.id)).all()
        s.expunge_all()
    return request.id, outcome.status, {r.step_number: r for r in rows}


@SQLITE
def test_1_2_registers_a_device_that_fits_and_postpones_one_that_does_not(sop_env, tmp_path):
    _site(sop_env)
    where = {"rack": "R01", "feed": "PDU-A", "switch": "sw1", "prefix": "10.10.0.0/24"}
    _, status, records = _run(sop_env, {"device": "srv1", **where})
    assert status == "succeeded"
    assert records[2].data["choice"] == "tersedia" and records[2].signed
    assert records[2].data["resources"]["position"] == 1
    # Computed, not answered at a prompt: no made-up measured time (issue 16's rule).
    assert records[2].duration_seconds is None and records[2].data["timing"] == "unknown"
    assert records[3].status == "not_applicable" and records[4].status == "done"
    with sop_env.ctx().session() as s:
        device = register.device_dict(s, register.get_device(s, "srv1"))
        history = [c.to_status for c in register.history(s, "srv1")]
        cables = register.cables(s)
    assert (device["status"], device["rack"], device["position"], device["feed"]) == (
        "active",
        "R01",
        1,
        "PDU-A",
    )
    assert device["addresses"] == [{"address": "10.10.0.1/24", "interface": "eth0", "dns_name": ""}]
    assert cables[0]["b_device"] == "sw1" and cables[0]["b_interface"] == "ge-0/0/1"
    assert history == ["received", "active"]

    for device, params, short in (
        ("srv2", {"rack": "R02", "feed": "PDU-A"}, "rack R02: tidak ada 2U berurutan"),
        ("srv3", {"rack": "R01", "feed": "PDU-SMALL"}, "catu daya PDU-SMALL: 0 W + 450 W"),
        (
            "srv4",
            {"rack": "R01", "feed": "PDU-A", "prefix": "10.20.0.0/30"},
            "prefix 10.20.0.0/30: tidak ada alamat IP",
        ),
    ):
        request_id, status, records = _run(sop_env, {"device": device, **params}, insist="tersedia")
        assert status == "postponed", device
        assert records[2].data["choice"] == "tidak_tersedia"
        assert short in records[3].note, records[3].note
        assert [records[n].status for n in (4, 5, 6, 7)] == ["not_applicable"] * 4
        with sop_env.ctx().session() as s:
            row = register.get_device(s, device)
            assert (row.status, row.rack_id) == ("received", None), device  # nothing registered
    # The postponement report (laporan penundaan) to the penanggung jawab says what is short.
    ok(sop_env.sop("report", str(request_id), "--format", "md", "--out", str(tmp_path)))
    report = (tmp_path / f"laporan-penundaan-1.2-{request_id}-id.md").read_text()
    assert "prefix 10.20.0.0/30: tidak ada alamat IP yang kosong" in report


@SQLITE
def test_a_1_2_request_names_a_device_rack_and_feed_the_register_has(sop_env):
    _site(sop_env)
    ctx = sop_env.ctx()
    for params, message in (
        ({"device": "srv1", "rack": "R01"}, "--param feed: wajib bersama device"),
        ({"device": "nope", "rack": "R01", "feed": "PDU-A"}, "--param device: 'nope'"),
        ({"device": "srv1", "rack": "R9", "feed": "PDU-A"}, "--param rack: 'R9'"),
    ):
        with pytest.raises(SopError, match=message):
            new_request(ctx, "1.2", ["ctl1"], params, "uji", "budi")
