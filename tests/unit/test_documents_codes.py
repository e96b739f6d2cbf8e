"""The classification code of a document's number is set per type of document (naskah.yaml
``klasifikasi``), one default for a type without its own; the yearly sequence stays one for
every type; a code that is not one is refused naming the field (issue 17)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from sop_runner.documents.layout import Document
from sop_runner.documents.naskah import DEFAULT_FILE, load_naskah
from sop_runner.errors import SopError

CODES = """
klasifikasi:
  bawaan: "500.12"
  jenis:
    kartu_kontrol: "000.5.2"
    buku_log: "500.12.3"
    surat_edaran: "100.3"
"""


def _naskah_file(tmp_path: Path, klasifikasi: str) -> Path:
    """Given a klasifikasi section, return a naskah file: the shipped one with it instead."""
    shipped = DEFAULT_FILE.read_text()
    head = shipped[: shipped.index("\nklasifikasi:")]
    path = tmp_path / "naskah.yaml"
    path.write_text(head.replace("logo: logo.svg", "logo: null") + "\n" + klasifikasi)
    return path


def test_each_type_is_numbered_with_its_own_code_in_one_sequence(
    sqlite_sop_env, tmp_path: Path, monkeypatch
):
    from sop_runner.documents.publish import issue

    monkeypatch.setenv("SOP_NASKAH_FILE", str(_naskah_file(tmp_path, CODES)))
    ctx = sqlite_sop_env.ctx()
    year = datetime.now(ZoneInfo("Asia/Jakarta")).year

    def number(kind: str, doc_type: str | None, subject: str) -> str:
        doc = Document(kind, subject, "Judul", subject.replace("/", "-"), "id", "Isi.")
        if doc_type is not None:
            doc = Document(
                kind, subject, "Judul", subject.replace("/", "-"), "id", "Isi.", doc_type=doc_type
            )
        markdown = issue(ctx, doc, tmp_path, ("md",))[0].read_text()
        found = [line for line in markdown.splitlines() if f"/Diskominfo/{year}" in line]
        return found[0].split(":** ")[-1].strip()

    assert number("dokumen", "kartu_kontrol", "kartu/suhu/server-farm/2026-11") == (
        f"000.5.2/001/Diskominfo/{year}"
    )
    assert number("dokumen", "buku_log", "access-log/2026-11") == (
        f"500.12.3/002/Diskominfo/{year}"
    )
    # A kind with a code of its own, and a type with none: the one default.
    assert number("surat_edaran", None, "request/7") == f"100.3/003/Diskominfo/{year}"
    assert number("laporan", "laporan_lain", "request/7") == f"500.12/004/Diskominfo/{year}"


@pytest.mark.parametrize(
    ("klasifikasi", "field"),
    [
        (
            'klasifikasi:\n  bawaan: "500.12"\n  jenis:\n    buku_log: "5OO.12"\n',
            "klasifikasi.jenis.buku_log",
        ),
        ('klasifikasi:\n  bawaan: "500,12"\n', "klasifikasi.bawaan"),
        ("klasifikasi:\n  bawaan: 500.12\n", "klasifikasi.bawaan"),
    ],
)
def test_a_bad_code_is_refused_naming_the_field(tmp_path: Path, monkeypatch, klasifikasi, field):
    monkeypatch.setenv("SOP_NASKAH_FILE", str(_naskah_file(tmp_path, klasifikasi)))
    with pytest.raises(SopError, match=rf"{field}: .* is not a classification code") as refused:
        load_naskah()
    assert "500.12" in str(refused.value)  # what is allowed, by example


def test_a_code_left_under_jenis_says_where_it_moved(tmp_path: Path, monkeypatch):
    path = _naskah_file(tmp_path, 'klasifikasi:\n  bawaan: "500.12"\n')
    path.write_text(path.read_text().replace("  laporan:\n", '  laporan:\n    kode: "500.12"\n', 1))
    monkeypatch.setenv("SOP_NASKAH_FILE", str(path))
    with pytest.raises(SopError, match=r"jenis\.laporan\.kode: .*klasifikasi\.jenis\.laporan"):
        load_naskah()
