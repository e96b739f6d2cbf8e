"""The registers (issue 18): places, devices, network, and SOP 1.2's resource check, on a
real SQLite store (the same functions run on PostgreSQL in the component tests)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from sop_runner import i18n
from sop_runner.errors import SopError
from sop_runner.procedures import register
from sop_runner.store import session_scope
from sop_runner.store.models import AuditEntry


@pytest.fixture(autouse=True)
def english(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests read the English messages (the msgids); Indonesian: test_core_words.py."""
    monkeypatch.setattr(i18n, "_chosen", "en")


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    with session_scope(f"sqlite:///{tmp_path / 'sop.db'}") as s:
        yield s


def _farm(session: Session) -> None:
    """A server farm with one 42U rack, a 2 kW feed, a switch with two ports, a /29."""
    register.add_room(session, "server-farm", "server_farm", "budi", "Ruang server")
    register.add_rack(session, "R01", "server-farm", "budi", u_height=42)
    register.add_feed(session, "PDU-R01-A", 2000, "budi", rack="R01")
    register.add_device(session, "sw1", "budi", kind="switch", u_height=1, power_w=100)
    register.place_device(session, "sw1", "budi", rack="R01", position=42, feed="PDU-R01-A")
    register.set_interface(session, "sw1", "ge-0/0/1", "budi")
    register.set_interface(session, "sw1", "ge-0/0/2", "budi")
    register.add_prefix(session, "10.10.0.0/29", "budi", "server")
    register.add_device(
        session, "srv9", "budi", status="received", kind="server", u_height=2, power_w=400
    )


def test_a_device_that_fits_gets_the_lowest_free_units_a_port_and_an_address(session):
    _farm(session)
    register.add_device(session, "srv1", "budi", u_height=2, power_w=300)
    register.place_device(session, "srv1", "budi", rack="R01", position=1, feed="PDU-R01-A")
    register.assign_address(session, "10.10.0.1/29", "sw1", "vlan10", "budi")
    register.add_cable(session, "C-0001", ("srv1", "eth0"), ("sw1", "ge-0/0/1"), "budi")
    found = register.check_resources(
        session, "srv9", "R01", "PDU-R01-A", switch="sw1", prefix="10.10.0.0/29"
    )
    assert found.ok, found.short
    assert (found.position, found.port, found.address) == (3, "ge-0/0/2", "10.10.0.2/29")
    assert (found.power_used_w, found.power_budget_w, found.derating_pct) == (400, 1600, 80)


def test_no_contiguous_units_is_short_even_when_enough_units_are_free_apart(session):
    _farm(session)
    register.add_rack(session, "R02", "server-farm", "budi", u_height=4)
    register.add_device(session, "blk", "budi", u_height=1)
    register.place_device(session, "blk", "budi", rack="R02", position=2)
    register.add_device(session, "blk2", "budi", u_height=1)
    register.place_device(session, "blk2", "budi", rack="R02", position=4)
    found = register.check_resources(session, "srv9", "R02", "PDU-R01-A")
    assert found.position is None  # U1 and U3 are free, but not two in a row
    assert found.short == ["rack R02: tidak ada 2U berurutan yang kosong"]


def test_power_over_the_derated_budget_is_short(session):
    _farm(session)
    register.add_device(session, "big", "budi", power_w=1200)
    register.place_device(session, "big", "budi", feed="PDU-R01-A")
    found = register.check_resources(session, "srv9", "R01", "PDU-R01-A")
    # 100 (sw1) + 1200 + 400 = 1700 W > 80 % of 2000 W, though under the rating.
    assert not found.ok
    assert found.short == [
        "catu daya PDU-R01-A: 1300 W + 400 W melebihi anggaran 1600 W (80 % dari 2000 W)"
    ]
    # A device that is gone draws nothing.
    register.change_status(session, "big", "decommissioning", "budi")
    register.change_status(session, "big", "offline", "budi")
    assert register.check_resources(session, "srv9", "R01", "PDU-R01-A").ok


def test_a_feed_with_its_own_derating_and_no_free_address_or_port(session):
    _farm(session)
    register.add_feed(session, "UPS-B", 1000, "budi", derating_pct=50)
    for n in range(1, 7):  # a /29 has six host addresses
        register.assign_address(session, f"10.10.0.{n}/29", "sw1", f"vlan{n}", "budi")
    for n, port in enumerate(("ge-0/0/1", "ge-0/0/2")):
        register.add_device(session, f"h{n}", "budi")
        register.add_cable(session, f"C-{n}", (f"h{n}", "eth0"), ("sw1", port), "budi")
    found = register.check_resources(
        session, "srv9", "R01", "UPS-B", switch="sw1", prefix="10.10.0.0/29"
    )
    assert found.power_budget_w == 500 and found.ok is False
    assert found.short == [
        "switch sw1: tidak ada port yang kosong",
        "prefix 10.10.0.0/29: tidak ada alamat IP yang kosong",
    ]


def test_placing_refuses_taken_units_and_units_past_the_top(session):
    _farm(session)
    with pytest.raises(SopError, match=r"--position: U42 of R01 is taken by sw1"):
        register.place_device(session, "srv9", "budi", rack="R01", position=41)
    with pytest.raises(SopError, match=r"fits at 1–41 in R01 \(42U\)"):
        register.place_device(session, "srv9", "budi", rack="R01", position=42)
    with pytest.raises(SopError, match="--rack: 'R99' is not a registered rack"):
        register.place_device(session, "srv9", "budi", rack="R99", position=1)


def test_every_change_is_an_audit_entry_and_statuses_keep_their_order(session):
    _farm(session)
    register.change_status(session, "srv9", "staged", "budi", "ke area staging")
    register.change_status(session, "srv9", "active", "budi", "terpasang")
    with pytest.raises(SopError, match="srv9 is active; it can go to decommissioning, not staged"):
        register.change_status(session, "srv9", "staged", "budi")
    assert [c.to_status for c in register.history(session, "srv9")] == [
        "received",
        "staged",
        "active",
    ]
    actions = [json.loads(e.content)["action"] for e in session.scalars(select(AuditEntry))]
    for action in ("register.room", "register.rack", "register.feed", "register.added"):
        assert action in actions
    assert actions.count("register.interface") == 2 and "register.prefix" in actions


def test_bad_input_names_the_field_and_writes_nothing(session):
    _farm(session)
    before = session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc()))
    bad = [
        (lambda: register.add_room(session, "x y", "server_farm", "budi"), "--name: 'x y'"),
        (lambda: register.add_room(session, "lab", "kitchen", "budi"), "--kind: 'kitchen'"),
        (lambda: register.add_rack(session, "R9", "server-farm", "budi", 0), "--u-height: 0"),
        (lambda: register.add_feed(session, "F", -5, "budi"), "--rating-w: -5"),
        (lambda: register.add_device(session, "x", "budi", kind="toaster"), "--kind: 'toaster'"),
        (lambda: register.add_device(session, "x", "budi", power_w=-1), "--power-w: -1"),
        (lambda: register.set_interface(session, "sw1", "e0", "budi", mac="zz"), "--mac: 'zz'"),
        (lambda: register.add_prefix(session, "10.0.0.1/33", "budi"), "prefix: '10.0.0.1/33'"),
        (
            lambda: register.add_cable(session, "C", ("sw1", "a"), ("sw1", "a"), "budi"),
            "--b: the same interface",
        ),
    ]
    for call, message in bad:
        with pytest.raises(SopError, match=message.replace("(", r"\(")):
            call()
    assert session.scalar(select(AuditEntry.seq).order_by(AuditEntry.seq.desc())) == before


def test_an_address_and_a_cable_end_are_held_once(session):
    _farm(session)
    register.assign_address(session, "10.10.0.3/29", "sw1", "vlan10", "budi")
    with pytest.raises(SopError, match=r"address 10.10.0.3: already assigned to sw1 vlan10"):
        register.assign_address(session, "10.10.0.3/29", "srv9", "eth0", "budi")
    register.add_cable(session, "C-1", ("srv9", "eth0"), ("sw1", "ge-0/0/1"), "budi", length=2.5)
    with pytest.raises(SopError, match="--a: srv9 eth0 already has cable C-1"):
        register.add_cable(session, "C-2", ("srv9", "eth0"), ("sw1", "ge-0/0/2"), "budi")
    assert register.cables(session) == [
        {
            "label": "C-1",
            "type": "cat6",
            "length": 2.5,
            "a_device": "srv9",
            "a_interface": "eth0",
            "b_device": "sw1",
            "b_interface": "ge-0/0/1",
        }
    ]
    whole = register.register_dict(session)
    assert [d["name"] for d in whole["devices"]] == ["srv9", "sw1"]
    sw1 = whole["devices"][1]
    assert (sw1["rack"], sw1["position"], sw1["feed"]) == ("R01", 42, "PDU-R01-A")
    assert whole["feeds"][0] == {
        "name": "PDU-R01-A",
        "rating_w": 2000,
        "derating_pct": None,
        "budget_w": 1600,
        "load_w": 100,
    }


def test_the_registers_rooms_are_the_sites_places(tmp_path: Path):
    from types import SimpleNamespace

    from sop_runner import site
    from sop_runner.procedures.register.rooms import registered_places
    from sop_runner.store import engine_for

    url = f"sqlite:///{tmp_path / 'sop.db'}"
    engine_for(url)  # the store exists (as `sop` makes it)
    ctx = SimpleNamespace(settings=SimpleNamespace(db_url=url))
    (tmp_path / "site.yml").write_text("places:\n  - {name: ruang-ups, title: Ruang UPS}\n")
    try:
        site.use_places_from(lambda: registered_places(ctx))
        # No rooms registered yet: site.yml's places stand.
        assert [p.name for p in site.load_site(tmp_path).places] == ["ruang-ups"]
        with session_scope(url) as session:
            register.add_room(session, "server-farm", "server_farm", "budi", "Ruang server")
            register.add_room(session, "loading-dock", "loading_dock", "budi", "Loading dock")
        places = site.load_site(tmp_path).places
        assert [(p.name, p.title) for p in places] == [
            ("loading-dock", "Loading dock"),
            ("server-farm", "Ruang server"),
        ]
        (tmp_path / "site.yml").unlink()
        assert len(site.load_site(tmp_path).places) == 2
    finally:
        site.use_places_from(None)


def test_a_store_from_before_issue_18_gets_the_new_device_columns(tmp_path: Path):
    import sqlite3

    from sop_runner.procedures.register.upgrade_store import add_columns, missing_columns
    from sop_runner.store import engine_for

    path = tmp_path / "old.db"
    with sqlite3.connect(path) as old:  # register_devices as issue 17 left it
        old.execute(
            "CREATE TABLE register_devices (id INTEGER PRIMARY KEY, name VARCHAR(128) UNIQUE,"
            " asset_number VARCHAR(64), owner VARCHAR(128), function TEXT, status VARCHAR(16),"
            " notes TEXT)"
        )
        old.execute(
            "INSERT INTO register_devices VALUES (1, 'srv2', 'A-1', 'BKPSDM', '', 'active', '')"
        )
    engine = engine_for(f"sqlite:///{path}")
    assert "code" in missing_columns(engine) and "power_w" in missing_columns(engine)
    assert "kind" in add_columns(engine)
    assert missing_columns(engine) == [] and add_columns(engine) == []
    with session_scope(f"sqlite:///{path}") as session:
        srv2 = register.device_dict(session, register.get_device(session, "srv2"))
        register.add_device(session, "srv9", "budi", code="X-9", power_w=10)
    assert (srv2["kind"], srv2["power_w"], srv2["asset"]) == ("server", 0, "A-1")
    engine.dispose()


def test_the_register_is_read_while_a_command_holds_the_write_lock(tmp_path: Path):
    """`sop approve` loads its inventory inside its own write transaction: the register
    inventory and the site's places must read without waiting for that lock."""
    import time
    from types import SimpleNamespace

    from sop_runner.procedures.register.reader import reading
    from sop_runner.procedures.register.rooms import registered_places
    from sop_runner.procedures.register.views import register_dict

    url = f"sqlite:///{tmp_path / 'sop.db'}"
    with session_scope(url) as session:
        register.add_room(session, "server-farm", "server_farm", "budi")
    ctx = SimpleNamespace(settings=SimpleNamespace(db_url=url))
    with session_scope(url) as writing:
        register.add_room(writing, "area-staging", "staging_area", "budi")  # holds the lock
        started = time.monotonic()
        assert [p.name for p in registered_places(ctx)] == ["server-farm"]  # committed only
        with reading(url) as session:
            assert [r["name"] for r in register_dict(session)["rooms"]] == ["server-farm"]
        assert time.monotonic() - started < 5


def test_a_store_without_the_rooms_table_has_no_registered_places(tmp_path: Path) -> None:
    """A command that reads the site before any command made the schema (a fresh store,
    or one made before issue 18) must not stop on "no such table: register_rooms"."""
    import sqlite3

    from sop_runner.procedures.register.rooms import registered_places

    fresh = tmp_path / "fresh.db"
    old = tmp_path / "old.db"
    sqlite3.connect(old).execute("create table requests (id integer primary key)").close()

    assert registered_places_at(registered_places, f"sqlite:///{fresh}") == ()
    assert not fresh.exists(), "reading the site must not create the store (it makes it 0600)"
    assert registered_places_at(registered_places, f"sqlite:///{old}") == ()


def registered_places_at(read: Any, url: str) -> tuple[Any, ...]:
    class Settings:
        db_url = url

    class Ctx:
        settings = Settings()

    return read(Ctx())
