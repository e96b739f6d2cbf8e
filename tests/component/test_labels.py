"""SOP 3.2 from the register: labels on an A4 65-up sheet and on 24 mm tape whose QR codes
decode (zbarimg) to the register entries, two labels per cable carrying the same cable id;
the network/device schema drawn by Graphviz naming every device and cable, its previous
version kept; and a 3.2 run whose steps 2–4 make them."""

from __future__ import annotations

import html
import re
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from sop_runner.procedures import register
from sop_runner.procedures.labels.items import cable_qr, device_qr
from sop_runner.store.models import Run, StepRecord
from tests.support import pdf
from tests.support.sop import ok

pytestmark = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)

DEVICES = {"sw1": "DKI-SW-01", "srv1": "DKI-SRV-01", "srv2": "DKI-SRV-02"}
CABLES = {"C-0001": ("srv1", "eth0", "ge-0/0/1"), "C-0002": ("srv2", "eth0", "ge-0/0/2")}
ADDRESSES = {"srv1": "10.10.0.11/24", "srv2": "10.10.0.12/24"}


def _farm(env) -> None:
    ctx = env.ctx()
    budi = ctx.actor("budi")
    with ctx.session() as s:
        register.add_room(s, "server-farm", "server_farm", budi, "Ruang server")
        register.add_rack(s, "R01", "server-farm", budi, 42)
        register.add_prefix(s, "10.10.0.0/24", budi, "server")
        for position, (name, code) in enumerate(DEVICES.items(), start=10):
            kind = "switch" if name.startswith("sw") else "server"
            register.add_device(s, name, budi, kind=kind, code=code, u_height=1, power_w=100)
            register.place_device(s, name, budi, rack="R01", position=position)
        for label, (server, port, switch_port) in CABLES.items():
            register.set_interface(s, server, port, budi)
            register.set_interface(s, "sw1", switch_port, budi)
            register.assign_address(s, ADDRESSES[server], server, port, budi)
            register.add_cable(s, label, (server, port), ("sw1", switch_port), budi)


def _qr_codes(document: Path, folder: Path) -> list[str]:
    """Given a PDF, return every QR code zbarimg reads on its pages (rendered at 200 dpi)."""
    found = []
    for png in pdf.pngs(document, folder, dpi=200):
        done = subprocess.run(
            ["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(png)],
            capture_output=True,
            text=True,
            check=False,
        )
        found += [line for line in done.stdout.splitlines() if line]
    return found


def test_label_qr_codes_decode_to_the_register_and_both_cable_ends_match(sop_env, tmp_path):
    pdf.need_poppler()
    _farm(sop_env)
    sheet = Path(ok(sop_env.sop("label", "print", operator="budi")).stdout.strip())
    codes = _qr_codes(sheet, tmp_path / "a4")
    assert sorted(c for c in codes if "/device/" in c) == sorted(device_qr(n) for n in DEVICES)
    for label in CABLES:
        # "pada 2 (dua) ujung kabel": one label for each end, the same cable id on both.
        ends = sorted(c for c in codes if f"/cable/{label}?" in c)
        assert ends == [cable_qr(label, "A"), cable_qr(label, "B")]
    text = pdf.text(sheet)
    for label, (server, port, _) in CABLES.items():
        assert text.count(label) == 2, label
        assert f"{DEVICES[server]}:{port}" in text  # the device code on the cable label
    for code in DEVICES.values():
        assert code in text
    pages, _ = pdf.words(sheet)
    assert len(pages) == 1 and round(pages[0].width * 25.4 / 72) == 210  # A4, 7 labels of 65
    assert pdf.pngs(sheet, tmp_path / "look", dpi=60)  # looked at (docs/labels.md)

    tape = Path(
        ok(
            sop_env.sop("label", "print", "--sheet", "tape-24", "--what", "cables", operator="budi")
        ).stdout.strip()
    )
    pages, _ = pdf.words(tape)
    assert len(pages) == 2 * len(CABLES)
    assert {round(p.height * 25.4 / 72) for p in pages} == {24}  # 24 mm tape
    assert sorted(_qr_codes(tape, tmp_path / "tape")) == sorted(
        cable_qr(label, end) for label in CABLES for end in "AB"
    )


def test_bad_label_input_is_one_line_exit_2(sop_env):
    _farm(sop_env)
    for args, field in (
        (["--sheet", "a5"], "--sheet"),
        (["--device", "nowhere"], "--device"),
        (["--what", "doors"], "--what"),
    ):
        result = sop_env.sop("label", "print", *args, operator="budi")
        assert result.returncode == 2 and field in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
    assert not (sop_env.root / "data" / "reports" / "labels").exists()


def test_the_schema_names_every_device_and_cable_and_keeps_the_previous(sop_env, tmp_path):
    _farm(sop_env)
    first = ok(sop_env.sop("label", "schema", "--out", str(tmp_path), operator="budi")).stdout
    assert "versi 1 (baru)" in first
    svg = (tmp_path / "skema-perangkat.svg").read_text()
    shown = html.unescape(" ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
    for name, code in DEVICES.items():
        assert name in shown and code in shown
    for label in CABLES:
        assert label in shown
    assert "Rack R01" in shown and "10.10.0.0/24" in shown
    assert (tmp_path / "skema-perangkat.pdf").read_bytes().startswith(b"%PDF")
    again = ok(sop_env.sop("label", "schema", "--out", str(tmp_path), operator="budi")).stdout
    assert "versi 1 (tidak berubah)" in again
    ctx = sop_env.ctx()
    with ctx.session() as s:
        register.add_device(s, "nas1", ctx.actor("budi"), kind="storage", code="DKI-NAS-01")
    ok(sop_env.sop("label", "schema", "--out", str(tmp_path), operator="budi"))
    assert "nas1" in (tmp_path / "skema-perangkat.svg").read_text()
    assert "nas1" not in (tmp_path / "skema-perangkat-v001.svg").read_text()  # kept as it was
    assert (tmp_path / "skema-perangkat-v002.pdf").exists()


def test_a_3_2_run_labels_and_draws_at_its_steps(sop_env):
    _farm(sop_env)
    request = ok(
        sop_env.sop("request", "3.2", "--target", "ctl1", "--reason", "rack R01 baru",
                    "--quiet", operator="budi")
    ).stdout.strip()  # fmt: skip
    confirms = [a for n in range(1, 5) for a in ("--confirm", f"{n}=label terpasang {n}")]
    ok(sop_env.sop("run", request, *confirms, operator="budi"))
    with sop_env.ctx().session() as session:
        run = session.scalars(select(Run).where(Run.request_id == int(request))).one()
        records = {
            r.step_number: r
            for r in session.scalars(select(StepRecord).where(StepRecord.run_id == run.id))
        }
    assert run.status == "succeeded"
    # The machine made the files; the person's signed confirmation says they are on.
    devices, cables = (Path(records[n].data["labels"]) for n in (2, 3))
    assert "SRV-01" in pdf.text(devices) and pdf.text(cables).count("C-0001") == 2
    assert records[4].data["schema"]["version"] == 1
    assert all(records[n].signed and records[n].note.startswith("label") for n in (2, 3, 4))
    assert (sop_env.root / "data" / "reports" / "schema" / "skema-perangkat.svg").exists()


def test_1_2_step_6_labels_the_installed_device_and_redraws_the_schema(sop_env):
    from tests.component.test_register_install import _run, _site

    _site(sop_env)
    where = {"rack": "R01", "feed": "PDU-A", "switch": "sw1", "prefix": "10.10.0.0/24"}
    _, status, records = _run(sop_env, {"device": "srv1", **where})
    assert status == "succeeded"
    data = records[6].data
    with sop_env.ctx().session() as session:
        [cable] = [c for c in register.cables(session) if "srv1" in (c["a_device"], c["b_device"])]
    labels = pdf.text(Path(data["labels"]))
    assert "SRV-01" in labels and labels.count(cable["label"]) == 2  # both ends of its cable
    assert data["schema"]["version"] == 1 and data["schema"]["new"]
    svg = html.unescape(Path(data["schema"]["files"][0]).read_text())
    assert "srv1" in svg and cable["label"] in svg
    assert records[6].note == "dilabel" and records[6].signed  # the person's confirmation
