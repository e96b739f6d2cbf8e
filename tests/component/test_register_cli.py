"""`sop register` (issue 18): places, devices and network typed by a person are signed
audit entries; bad input is one line, exit 2, nothing written; `--json` validates; the
CSV export is NetBox's import shape and imports back."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.procedures import register
from sop_runner.store.models import AuditEntry
from tests.component.test_cli_json import _valid
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _entries(env) -> list[dict]:
    with env.ctx().session() as session:
        return [json.loads(e.content) for e in session.scalars(select(AuditEntry))]


def _farm(env) -> None:
    """The farm through the Python API with budi's own key (as the commands do, faster),
    and two commands through `sop` itself."""
    ctx = env.ctx()
    budi = ctx.actor("budi")
    with ctx.session() as s:
        register.add_room(s, "server-farm", "server_farm", budi, "Ruang server")
        register.add_rack(s, "R01", "server-farm", budi, 42)
        register.add_feed(s, "PDU-R01-A", 2000, budi, rack="R01")
        register.add_device(
            s, "sw1", budi, owner="Diskominfo", function="switch inti", kind="switch",
            code="DKI-SW-01", u_height=1, power_w=100,
        )  # fmt: skip
        register.place_device(s, "sw1", budi, rack="R01", position=42, feed="PDU-R01-A")
        register.set_interface(s, "sw1", "ge-0/0/1", budi, mac="52:54:00:aa:bb:01")
        register.add_prefix(s, "10.10.0.0/24", budi, "server")
    ok(env.sop(
        "register", "add", "srv1", "--code", "DKI-SRV-01", "--u-height", "2", "--power-w",
        "350", "--vendor", "Dell", "--model", "R650", "--serial", "SN-1", "--status", "received",
        operator="budi",
    ))  # fmt: skip
    with ctx.session() as s:
        register.assign_address(s, "10.10.0.11/24", "srv1", "eth0", budi)
    ok(env.sop(
        "register", "cable", "add", "C-0001", "--a", "srv1:eth0", "--b", "sw1:ge-0/0/1",
        "--length", "2", operator="budi",
    ))  # fmt: skip


def test_register_changes_are_signed_listed_and_checked(sop_env):
    # Both stores: the register's tables and queries on SQLite and on PostgreSQL.
    _farm(sop_env)
    signed = [e for e in _entries(sop_env) if e["action"].startswith("register.")]
    actions = {e["action"] for e in signed}
    assert {"register.room", "register.rack", "register.feed", "register.added"} <= actions
    assert {"register.placed", "register.interface", "register.ip", "register.cable"} <= actions
    people = [e for e in signed if e["action"] != "register.site"]
    assert all(e["signed"]["fingerprint"] and e["actor"] == "budi" for e in people), people
    whole = _valid("register", ok(sop_env.sop("register", "list", "--json")).stdout)
    sw1 = next(d for d in whole["devices"] if d["name"] == "sw1")
    assert (sw1["code"], sw1["rack"], sw1["position"], sw1["feed"]) == (
        "DKI-SW-01",
        "R01",
        42,
        "PDU-R01-A",
    )
    assert whole["cables"][0]["label"] == "C-0001" and whole["feeds"][0]["load_w"] == 100
    check = ok(
        sop_env.sop(
            "register", "check", "srv1", "--rack", "R01", "--feed", "PDU-R01-A",
            "--prefix", "10.10.0.0/24", "--json",
        )
    )  # fmt: skip
    found = json.loads(check.stdout)
    assert found["ok"] and found["position"] == 1 and found["address"] == "10.10.0.1/24"


@SQLITE
def test_register_bad_input_is_one_line_exit_2_and_nothing_written(sop_env):
    _farm(sop_env)
    before = len(_entries(sop_env))
    for args, field in (
        (("rack", "add", "R02", "--room", "dapur"), "--room: 'dapur'"),
        (("add", "x1", "--kind", "toaster"), "--kind: 'toaster'"),
        (("place", "srv1", "--rack", "R01", "--position", "41"), "--position: U42 di R01"),
        (("cable", "add", "C-2", "--a", "srv1", "--b", "sw1:x"), "--a: 'srv1'"),
    ):
        result = sop_env.sop("register", *args, operator="budi")
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert field in result.stderr and "Traceback" not in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert len(_entries(sop_env)) == before


@SQLITE
def test_csv_export_is_netbox_shaped_and_imports_back(sop_env, tmp_path: Path):
    _farm(sop_env)
    ok(sop_env.sop("register", "export", str(tmp_path / "nb")))
    devices = list(csv.DictReader(io.StringIO((tmp_path / "nb" / "devices.csv").read_text())))
    srv1 = next(d for d in devices if d["name"] == "srv1")
    assert (srv1["manufacturer"], srv1["device_type"], srv1["serial"]) == ("Dell", "R650", "SN-1")
    assert (srv1["status"], srv1["cf_sop_status"], srv1["site"]) == (
        "inventory",
        "received",
        "pusat-data",
    )
    cables = (tmp_path / "nb" / "cables.csv").read_text().splitlines()
    assert cables[0].startswith("side_a_device,side_a_type,side_a_name,side_b_device")
    assert "srv1,dcim.interface,eth0,sw1,dcim.interface,ge-0/0/1" in cables[1]
    # Into a second device list: a new name imports, one row wrong imports nothing.
    text = (tmp_path / "nb" / "devices.csv").read_text()
    new = text.replace("srv1,", "srv7,", 1).replace("DKI-SRV-01", "DKI-SRV-07")
    (tmp_path / "new.csv").write_text(new)
    result = ok(sop_env.sop("register", "import", str(tmp_path / "new.csv"), operator="budi"))
    assert "1 perangkat terdaftar: srv7" in result.stdout
    header, row = new.splitlines()[:2]
    good, broken = (
        row.replace("srv7", "srv8"),
        row.replace("srv7", "srv9").replace(",350,", ",abc,"),
    )
    (tmp_path / "bad.csv").write_text("\n".join([header, good.replace("DKI-SRV-07", ""), broken]))
    refused = sop_env.sop("register", "import", str(tmp_path / "bad.csv"), operator="budi")
    assert refused.returncode == 2, refused.stdout
    assert "csv baris 3: cf_power_w: 'abc' bukan bilangan bulat" in refused.stderr
    listed = json.loads(ok(sop_env.sop("register", "list", "--json")).stdout)["devices"]
    names = {d["name"] for d in listed}
    assert "srv7" in names and not names & {"srv8", "srv9"}  # all rows or none
