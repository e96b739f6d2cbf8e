"""SOP 3.2's pure parts: what each label says (both cable ends), the sheets, and the dot
source of the schema (register values quoted, never dot syntax)."""

from __future__ import annotations

import pytest

from sop_runner.errors import SopError
from sop_runner.procedures.labels import items, schema, sheets
from sop_runner.procedures.labels.service import make_labels

REGISTER = {
    "rooms": [{"name": "server-farm", "title": "Ruang server", "kind": "server_farm"}],
    "racks": [{"name": "R01", "room": "server-farm", "u_height": 42}],
    "devices": [
        {
            "name": "srv1",
            "code": "SRV-01",
            "room": "server-farm",
            "rack": "R01",
            "position": 10,
            "addresses": [{"address": "10.10.0.11/24"}],
        },
        {"name": 'sw"1\\', "code": "", "room": None, "rack": None, "addresses": []},
    ],
    "prefixes": [{"prefix": "10.10.0.0/24", "description": "server"}],
    "cables": [
        {
            "label": "C-1",
            "a_device": "srv1",
            "a_interface": "eth0",
            "b_device": 'sw"1\\',
            "b_interface": "ge-0/0/1",
        },
    ],
}


def test_each_cable_has_a_label_for_each_end_with_the_same_id():
    [a, b] = items.cable_labels(REGISTER)
    assert (a.title, b.title) == ("C-1", "C-1")
    assert a.lines == ("ujung A", "SRV-01:eth0", '→ sw"1\\:ge-0/0/1')
    assert b.lines == ("ujung B", 'sw"1\\:ge-0/0/1', "→ SRV-01:eth0")
    assert (a.qr, b.qr) == (
        "sop-pusatdata:register/cable/C-1?ujung=A",
        "sop-pusatdata:register/cable/C-1?ujung=B",
    )


def test_device_labels_carry_code_name_place_and_the_register_entry():
    [srv1, switch] = items.device_labels(REGISTER)
    assert (srv1.title, srv1.lines, srv1.qr) == (
        "SRV-01",
        ("srv1", "R01 U10"),
        "sop-pusatdata:register/device/srv1",
    )
    assert switch.title == 'sw"1\\' and switch.qr.endswith("/device/sw%221%5C")
    with pytest.raises(KeyError):
        items.device_labels(REGISTER, ["nas9"])


def test_choosing_a_device_labels_it_and_its_cables_only():
    chosen = make_labels(REGISTER, devices=["srv1"])
    assert [(x.kind, x.title) for x in chosen] == [
        ("device", "SRV-01"),
        ("cable", "C-1"),
        ("cable", "C-1"),
    ]
    with pytest.raises(SopError, match="--device: 'nas9'"):
        make_labels(REGISTER, devices=["nas9"])
    with pytest.raises(SopError, match="--what: 'doors'"):
        make_labels(REGISTER, what=("doors",))


def test_a4_sheet_places_65_labels_a_page_and_tape_one():
    many = [items.Label("device", f"D{i}", (), f"q{i}") for i in range(66)]
    html = sheets.labels_html(many, sheets.sheet("a4-65"))
    assert html.count('class="page"') == 2 and html.count('class="cell"') == 66
    assert "top:265.10mm;left:167.05mm" in html  # the 65th: row 13, column 5
    assert sheets.labels_html(many[:3], sheets.sheet("tape-24")).count('class="page"') == 3
    with pytest.raises(SopError, match="--sheet: 'a5'"):
        sheets.sheet("a5")


def test_the_dot_source_quotes_what_the_register_holds():
    body = schema.dot_body(REGISTER)
    assert '"dev:sw\\"1\\\\" [label="sw\\"1\\\\\\nsw\\"1\\\\", shape=box];' in body
    assert 'subgraph cluster_room_0 { label="server-farm";' in body
    assert '"dev:srv1" -- "pfx:10.10.0.0/24" [style=dashed, label="10.10.0.11/24"];' in body
    assert '"dev:srv1" -- "dev:sw\\"1\\\\" [label="C-1\\neth0 – ge-0/0/1", penwidth=2];' in body
