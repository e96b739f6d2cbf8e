"""SOP 1.4 with the register (issue 18): step 6 waits for the berita acara (the vendor's
paper copy scanned, its SHA-256 recorded; the penanggung jawab's signed "diketahui"), the
official document carries both signature blocks and `sop verify` accepts it, and step 7
registers the facility as a device of its kind in the request's room."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
from pathlib import Path

import pytest

from sop_runner.answers import Answers
from sop_runner.errors import SopError, Waiting
from sop_runner.execution import run_request
from sop_runner.procedures import register
from sop_runner.requests import new_request
from tests.support.sop import ok

SQLITE = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
PARAMS = {
    "facility": "ups-2",
    "facility_kind": "power",
    "vendor": "APC",
    "model": "Smart-UPS SRT 10kVA",
    "serial": "AS1234567890",
}


def _run(env, request_id: int) -> str:
    """Given a 1.4 request, run it as far as it goes: rudi (penanggung jawab and petugas),
    ahmad for the Pimpinan's step 4, rudi again; return how it ended."""
    for operator in ("rudi", "ahmad", "rudi"):
        try:
            return run_request(env.ctx(), request_id, operator, answers=_answers()).status
        except Waiting:
            continue
    return "waiting"


def _answers() -> Answers:
    notes = {1: "jadwal disepakati", 2: "dilaporkan", 3: "dilaporkan ke pimpinan"}
    notes |= {4: "tidak perlu surat edaran", 5: "terpasang", 6: "berita acara", 7: "dicatat"}
    return Answers(notes=notes, person="Andi Wijaya (PT Daya Prima)")


@SQLITE
def test_1_4_berita_acara_signed_on_paper_known_by_the_pj_and_the_facility_registered(
    sop_env, tmp_path: Path
):
    ctx = sop_env.ctx()
    with ctx.session() as s:
        register.add_room(s, "server-farm", "server_farm", "budi", "Ruang server")
    request = new_request(ctx, "1.4", ["server-farm"], PARAMS, "UPS baru", "budi")
    with pytest.raises(SopError, match="langkah 6: berita acara memerlukan pindaiannya"):
        _run(sop_env, request.id)
    scan = tmp_path / "ba-ups-2-ttd.pdf"
    scan.write_bytes(b"%PDF-1.4 pindaian berita acara bertanda tangan basah\n")
    refused = sop_env.sop(
        "register", "berita-acara", str(request.id), "--acknowledge", operator="sari"
    )
    assert refused.returncode == 2 and "catat dulu pindaian berita acara" in refused.stderr
    ok(sop_env.sop(
        "register", "berita-acara", str(request.id), "--scan", str(scan), "--vendor-name",
        "Andi Wijaya", "--vendor-company", "PT Daya Prima", operator="budi",
    ))  # fmt: skip
    not_pj = sop_env.sop(
        "register", "berita-acara", str(request.id), "--acknowledge", operator="budi"
    )
    assert not_pj.returncode == 2 and "tidak memegang peran penanggung_jawab" in not_pj.stderr
    with pytest.raises(SopError, match='tanda "diketahui" penanggung jawab'):
        _run(sop_env, request.id)
    out = tmp_path / "ba"
    made = ok(sop_env.sop(
        "register", "berita-acara", str(request.id), "--acknowledge", "--out", str(out),
        operator="sari",
    ))  # fmt: skip
    pdf = out / f"berita-acara-1.4-{request.id}.pdf"
    assert str(pdf) in made.stdout
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    words = " ".join(text.stdout.split())
    assert "BERITA ACARA PEMASANGAN SARANA PENDUKUNG PUSAT DATA" in words.upper()
    assert "Pihak Vendor/Supplier/Rekanan" in words and "Andi Wijaya" in words
    assert "Mengetahui, Penanggung Jawab Pusat Data" in words
    assert "Ditandatangani secara elektronik" in words  # the PJ's acknowledgement verifies
    assert hashlib.sha256(scan.read_bytes()).hexdigest() in words.replace(" ", "")
    assert "Smart-UPS SRT 10kVA" in words and "Ruang server" in words
    ok(sop_env.sop("verify", str(pdf)))
    if shutil.which("pdftoppm"):  # for a person to look at (tests/support/pdf.py does more)
        subprocess.run(["pdftoppm", "-png", "-r", "60", str(pdf), str(tmp_path / "ba")])

    assert _run(sop_env, request.id) == "succeeded"
    with ctx.session() as s:
        ups = register.device_dict(s, register.get_device(s, "ups-2"))
    assert (ups["kind"], ups["room"], ups["status"], ups["serial"]) == (
        "power",
        "server-farm",
        "active",
        "AS1234567890",
    )
