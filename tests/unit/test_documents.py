"""The rules of the official documents that need no PDF: dates in Indonesian in WIB, the
number pattern and its yearly sequence, NIP and signature fingerprints, the naskah
configuration, and the Markdown frame (kop first, signatures after the body)."""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sop_runner.documents import dates, numbering
from sop_runner.documents.layout import Document, Letter, html_of, lay_out, markdown_text, parts
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.publish import formats_from
from sop_runner.documents.signatures import Signer, format_nip, signature_fingerprint
from sop_runner.errors import SopError

JAKARTA = "Asia/Jakarta"


def test_dates_are_indonesian_words_in_wib():
    moment = "2026-11-30T07:05:00+00:00"
    assert dates.place_date("Slawi", moment, JAKARTA) == "Slawi, 30 November 2026"
    assert dates.clock(moment, JAKARTA, "WIB") == "14.05 WIB"
    # 20.05 UTC is already the next day in Slawi, and December is Desember.
    late = "2026-11-30T20:05:00+00:00"
    assert dates.date_time(late, JAKARTA, "WIB") == "1 Desember 2026 03.05 WIB"
    assert dates.long_date("2026-08-17T01:00:00+00:00", JAKARTA) == "17 Agustus 2026"
    assert dates.long_date("2026-02-01T01:00:00+00:00", JAKARTA, "en") == "1 February 2026"
    assert dates.clock(late, JAKARTA, "WIB", "en") == "03:05 WIB"
    assert dates.date_time(None, JAKARTA, "WIB") == ""


def test_a_naive_time_is_taken_as_utc():
    assert dates.clock(datetime(2026, 1, 2, 1, 0), JAKARTA, "WIB") == "08.00 WIB"


def test_the_number_follows_the_pattern():
    when = datetime(2026, 11, 30, tzinfo=UTC)
    pattern = "{kode}/{urut:03d}/{unit}/{tahun}"
    assert numbering.format_number(pattern, "500.12", 7, "Diskominfo", when) == (
        "500.12/007/Diskominfo/2026"
    )
    roman = "{kode}/{urut}/{unit}/{bulan_romawi}/{tahun}"
    assert numbering.format_number(roman, "800", 12, "Kominfo", when) == "800/12/Kominfo/XI/2026"


@pytest.mark.parametrize(
    ("pattern", "says"),
    [
        ("{kode}/{unit}/{tahun}", "{urut}"),
        ("{kode}/{urut}/{nama}", "kolom 'nama' tidak dikenal"),
        ("{kode/{urut}", "bukan pola"),
    ],
)
def test_a_bad_pattern_is_refused_naming_what_is_allowed(pattern, says):
    assert says in (numbering.pattern_problem(pattern) or "")
    with pytest.raises(SopError, match=r"nomor\.pola"):
        numbering.format_number(pattern, "1", 1, "x", datetime(2026, 1, 1, tzinfo=UTC))


def test_the_sequence_is_yearly_across_kinds_and_a_subject_keeps_its_number(sqlite_sop_env):
    ctx = sqlite_sop_env.ctx()
    made = {}

    def assign(kind: str, subject: str, year: int) -> str:
        when = datetime(year, 6, 1, tzinfo=UTC)
        with ctx.session() as session:
            row = numbering.assign(session, kind, subject, when, lambda n: f"500/{n}/{year}")
            return row.number

    made["a"] = assign("laporan", "request/1", 2026)
    made["b"] = assign("laporan", "request/2", 2026)
    made["c"] = assign("surat_edaran", "request/2", 2026)
    made["a-again"] = assign("laporan", "request/1", 2026)
    made["d"] = assign("laporan", "request/3", 2027)
    made["e"] = assign("surat_perintah_tugas", "request/3", 2027)
    assert made == {
        "a": "500/1/2026",
        "b": "500/2/2026",
        "c": "500/3/2026",  # one sequence for every kind: never a second 500/1/2026
        "a-again": "500/1/2026",
        "d": "500/1/2027",
        "e": "500/2/2027",
    }


def test_a_number_already_given_is_never_given_again(sqlite_sop_env):
    """A pattern without the year restarts its sequence yearly: the next free number is taken."""
    ctx = sqlite_sop_env.ctx()
    with ctx.session() as session:
        first = numbering.assign(
            session, "laporan", "request/1", datetime(2026, 6, 1, tzinfo=UTC), lambda n: f"X/{n}"
        )
        second = numbering.assign(
            session, "dokumen", "request/2", datetime(2027, 6, 1, tzinfo=UTC), lambda n: f"X/{n}"
        )
        assert (first.number, second.number) == ("X/1", "X/2")


def test_documents_of_different_kinds_issued_in_one_year_have_their_own_numbers(
    sqlite_sop_env, tmp_path: Path
):
    from sqlalchemy import select

    from sop_runner.documents.models import DocumentNumber
    from sop_runner.documents.publish import issue

    ctx = sqlite_sop_env.ctx()

    def number_of_issued(ctx, kind: str, subject: str) -> str:
        with ctx.session() as session:
            return session.scalars(
                select(DocumentNumber.number).where(
                    DocumentNumber.kind == kind, DocumentNumber.subject == subject
                )
            ).one()

    numbers = {}
    for kind in ("laporan", "surat_perintah_tugas", "surat_edaran"):
        doc = Document(kind, "request/41", kind, f"{kind}-41", "id", "Isi.")
        issue(ctx, doc, tmp_path, ("md",))
        numbers[kind] = number_of_issued(ctx, kind, "request/41")
    assert len(set(numbers.values())) == 3, numbers
    # Written again, a document keeps the number it was issued with.
    again = Document("laporan", "request/41", "laporan", "laporan-41b", "id", "Isi lagi.")
    issue(ctx, again, tmp_path, ("md",))
    assert number_of_issued(ctx, "laporan", "request/41") == numbers["laporan"]


def test_nip_and_signature_fingerprints_are_printed_as_people_read_them():
    assert format_nip("198503122010012004") == "19850312 201001 2 004"
    assert format_nip(None) == "" and format_nip("12345") == "12345"
    signature = "ab" * 64
    expected = hashlib.sha256(bytes.fromhex(signature)).hexdigest()[:16].upper()
    shown = signature_fingerprint(signature)
    assert shown.replace(" ", "") == expected and len(shown.split()) == 4


def test_formats_are_checked():
    assert formats_from("pdf") == ("pdf",)
    assert formats_from(" md, HTML ,md") == ("md", "html")
    with pytest.raises(SopError, match="--format: 'docx' tidak diizinkan"):
        formats_from("pdf,docx")


def test_a_bad_naskah_file_is_refused_naming_the_key(tmp_path: Path, monkeypatch):
    bad = tmp_path / "naskah.yaml"
    text = (Path(load_naskah().folder) / "naskah.yaml").read_text()
    bad.write_text(text.replace("kertas: A4", "kertas: Letter"))
    monkeypatch.setenv("SOP_NASKAH_FILE", str(bad))
    with pytest.raises(SopError, match="kertas: 'Letter' is not one of"):
        load_naskah()
    bad.write_text(text.replace("logo: logo.svg", "logo: tidak-ada.svg"))
    with pytest.raises(SopError, match=r"kop\.logo"):
        load_naskah().logo_path()


SIGNER = Signer(
    "Penanggung Jawab Pusat Data", "sari", "Sari Wulandari", "Penanggung Jawab Pusat Data",
    "19850312 201001 2 004", "AB12 CD34 EF56 7890", "2026-11-30T07:00:00+00:00",
)  # fmt: skip


def _document(**changed) -> Document:
    fields = {
        "kind": "laporan",
        "subject": "request/1",
        "title": "Laporan Hasil Peningkatan",
        "file_stem": "laporan-4.1-1-id",
        "lang": "id",
        "body_markdown": "## Isi\n\n| | |\n|---|---|\n| Alasan | RAM penuh |\n",
        "signers": (SIGNER,),
        "request_id": 1,
    }
    return Document(**{**fields, **changed})


def test_the_frame_puts_the_kop_first_and_the_signatures_after_the_body():
    naskah = load_naskah()
    when = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    text = markdown_text(_document(), parts(_document(), naskah, "500.12/001/X/2026", when))
    kop = text.index("PEMERINTAH KABUPATEN TEGAL")
    number = text.index("500.12/001/X/2026")
    body = text.index("RAM penuh")
    place = text.index("Slawi, 30 November 2026")
    name = text.index("Sari Wulandari")
    assert kop < number < body < place < name
    assert "NIP. 19850312 201001 2 004" in text and "AB12 CD34 EF56 7890" in text


def test_a_letter_has_its_head_and_a_work_order_says_where_it_was_issued():
    naskah = load_naskah()
    when = datetime(2026, 11, 30, 7, 5, tzinfo=UTC)
    letter = _document(
        kind="surat_edaran",
        letter=Letter("Pemberitahuan gangguan layanan", "Penting", "-", ("Kepala OPD",)),
    )
    text = markdown_text(letter, parts(letter, naskah, "N/1", when))
    for line in ("| Nomor | N/1 |", "| Sifat | Penting |", "| Hal | Pemberitahuan", "Yth. Kepala"):
        assert line in text, line
    assert "Tembusan:" in text and "1. Bupati Tegal" in text
    order = _document(kind="surat_perintah_tugas", issued_at_words=True)
    text = markdown_text(order, parts(order, naskah, "N/2", when))
    assert "Dikeluarkan di Slawi  \npada tanggal 30 November 2026" in text


def test_the_three_formats_carry_one_content_hash_and_the_qr_holds_it():
    naskah = load_naskah()
    laid = lay_out(_document(), naskah, "N/3", datetime(2026, 11, 30, 7, 5, tzinfo=UTC))
    head = laid.markdown.split("\n---\n\nSidik dokumen")[0]
    assert hashlib.sha256(head.encode()).hexdigest() == laid.content_sha256
    assert laid.content_sha256 in laid.html and laid.content_sha256 in laid.qr_payload
    assert "permintaan=1&nomor=N/3" in laid.qr_payload and "ttd=AB12CD34EF567890" in laid.qr_payload
    assert 'src="data:image/svg+xml' in laid.html
    assert "Halaman" in laid.html and "counter(pages)" in laid.html
    assert "size: 210mm 297mm" in laid.html


def test_markdown_bodies_render_without_raw_html_or_an_empty_table_head():
    html = html_of("| | |\n|---|---|\n| a | <script>x</script> |\n")
    assert "<thead>" not in html and "<script>" not in html and "&lt;script&gt;" in html


def test_the_documents_speak_the_language_asked(sqlite_sop_env, tmp_path: Path):
    from sop_runner.reports import write_reports
    from sop_runner.requests import new_request

    ctx = sqlite_sop_env.ctx()
    params = {"change": "RAM 16 → 32 GB", "expected_spec": ["memory_mb >= 32000"]}
    # A circular is drafted (critical simpeg): the petugas plans its window (issue 16).
    params["maintenance_window"] = "2026-12-05T22:00+07:00/2026-12-06T02:00+07:00"
    request = new_request(ctx, "4.1", ["ctl2"], params, "RAM penuh", "sari")
    texts = {}
    for lang in ("id", "en"):
        written = write_reports(ctx, request.id, lang, tmp_path / lang, ("md",))
        texts[lang] = {p.name.split("-4.1-")[0]: p.read_text() for p in written}
    assert {"laporan", "surat-perintah-tugas", "surat-edaran"} <= set(texts["id"])
    order_id, order_en = texts["id"]["surat-perintah-tugas"], texts["en"]["surat-perintah-tugas"]
    assert "Dikeluarkan di Slawi" in order_id and "Issued at Slawi" in order_en
    assert "Kepada" in order_id and "MEMERINTAHKAN" in order_id and "ORDERS" in order_en
    circular = texts["id"]["surat-edaran"]
    assert "| kritis |" in circular and "critical" not in circular
    for text in (texts["id"]["laporan"], order_id):
        for english in ("succeeded", "always", "pending", "UTC", "Generated"):
            assert english not in text, english
    assert "menunggu" in texts["id"]["laporan"] and "selalu diperlukan" in order_id
    # One number for a document, whichever language it is written in.
    number = re.compile(r"\*\*(Nomor|Number):\*\* (\S+)")
    found = {lang: number.search(texts[lang]["laporan"]) for lang in texts}
    assert found["id"] and found["en"] and found["id"].group(2) == found["en"].group(2)


def test_a_number_in_the_page_footer_cannot_leave_its_css_string():
    from sop_runner.documents.layout import css_string

    assert css_string('A/1"; } body { x: "') == "A/1\\22 \\3b  \\7d  body \\7b  x: \\22 "
    assert "<" not in css_string("</style>")


def test_f4_paper_is_a_setting():
    from dataclasses import replace

    naskah = load_naskah()
    folio = replace(naskah, data={**naskah.data, "kertas": "F4"})
    laid = lay_out(_document(), folio, "N/4", datetime(2026, 11, 30, 7, 5, tzinfo=UTC))
    assert "size: 215mm 330mm" in laid.html


def test_without_weasyprint_pdf_is_one_clear_line_and_nothing_is_written(
    sqlite_sop_env, tmp_path: Path, monkeypatch
):
    """Where WeasyPrint is not installed (simulated: its import fails), asking for PDF
    says how to install it; no file is written and no number is used."""
    import sys

    from sqlalchemy import func, select

    from sop_runner.documents.models import DocumentNumber
    from sop_runner.reports import write_reports
    from sop_runner.requests import new_request

    ctx = sqlite_sop_env.ctx()
    params = {"change": "RAM", "expected_spec": ["memory_mb >= 1"]}
    request = new_request(ctx, "4.1", ["ctl1"], params, "RAM penuh", "sari")
    monkeypatch.setitem(sys.modules, "weasyprint", None)
    with pytest.raises(SopError, match=r"WeasyPrint is not installed.*bootstrap\.sh"):
        write_reports(ctx, request.id, "id", tmp_path / "out")
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())
    with ctx.session() as session:
        assert session.scalar(select(func.count()).select_from(DocumentNumber)) == 0


def test_a_template_s_dates_follow_its_language_unless_told():
    """Feature templates write `{{ moment | dt }}`: an English document gets English months."""
    from sop_runner.reports.render import template_environment

    template = template_environment().from_string("{{ moment | dt }} / {{ moment | dt('id') }}")
    late = "2026-11-30T20:05:00+00:00"
    assert template.render(moment=late, lang="en") == (
        "1 December 2026 03:05 WIB / 1 Desember 2026 03.05 WIB"
    )
    assert template.render(moment=late, lang="id").startswith("1 Desember 2026 03.05 WIB")
    assert template.render(moment=late).startswith("1 Desember 2026")  # no language: Indonesian
