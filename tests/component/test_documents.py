"""The official documents (naskah dinas) as a person holds them: the PDF of each kind is
A4 with the kop at the top, its number, an Indonesian date in WIB and the signature
blocks at the end (read from the PDF's text and seen in its rendered pages), nothing
past the margins; `sop verify` vouches for a produced file and refuses one edited byte."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import weasyprint

from sop_runner.requests import new_request
from tests.support import pdf
from tests.support.sop import OPERATORS, SopEnv, ok
from tests.support.trust import operator_entries, publish_version

NAMES = {
    "sari": ("Sari Wulandari, S.Kom.", "198503122010012004", "Penanggung Jawab Pusat Data"),
    "rudi": ("Rudi Hartono, S.T.", "197911052006041003", "Kepala Seksi Infrastruktur TIK"),
    "ahmad": (
        "Dr. Ahmad Fauzi, M.Si.",
        "197002141995031002",
        "Kepala Dinas Komunikasi dan Informatika",
    ),
    "budi": ("Budi Santoso", "199201012019031001", "Petugas Pusat Data"),
}
NUMBER = re.compile(r"500\.12/\d{3}/Diskominfo/20\d\d")
DATE = re.compile(
    r"Slawi, \d{1,2} (Januari|Februari|Maret|April|Mei|Juni|Juli|Agustus|September|Oktober"
    r"|November|Desember) 20\d\d"
)
ENGLISH = ("succeeded", "done", "critical", "always", "pending", "Generated", "UTC")


def _issue(sop_env: SopEnv, tmp_path: Path) -> tuple[SopEnv, dict[str, Path]]:
    """Given a sop installation, make a 4.1 request on the critical SIMPEG host, approved by
    the penanggung jawab, write its documents by the real `sop report` (PDF, HTML,
    Markdown) and return the PDF of each kind."""
    entries = operator_entries(sop_env.trust, OPERATORS)
    for entry in entries:
        if entry["name"] in NAMES:
            entry["full_name"], entry["nip"], entry["jabatan"] = NAMES[entry["name"]]
    publish_version(sop_env.trust, entries)
    ctx = sop_env.ctx()
    params = {"change": "RAM 16 → 32 GB", "expected_spec": ["memory_mb >= 32000"]}
    # A circular is drafted (critical simpeg): the petugas plans its window (issue 16).
    params["maintenance_window"] = "2026-12-05T22:00+07:00/2026-12-06T02:00+07:00"
    request = new_request(ctx, "4.1", ["ctl2"], params, "RAM server SIMPEG penuh", "sari")
    ok(sop_env.sop("approve", str(request.id), operator="rudi"))
    out = tmp_path / "out"
    written = ok(sop_env.sop("report", str(request.id), "--out", str(out)))
    paths = [Path(line) for line in written.stdout.split()]
    by_name = {p.name: p for p in paths}
    slug = f"4.1-{request.id}-id"
    kinds = {
        "laporan": f"laporan-{slug}",
        "surat_perintah_tugas": f"surat-perintah-tugas-{slug}",
        "surat_edaran": f"surat-edaran-{slug}",
    }
    for stem in kinds.values():
        for suffix in ("pdf", "html", "md"):
            assert f"{stem}.{suffix}" in by_name, (stem, sorted(by_name))
    return sop_env, {kind: out / f"{stem}.pdf" for kind, stem in kinds.items()}


@pytest.fixture
def issued(sop_env: SopEnv, tmp_path: Path) -> tuple[SopEnv, dict[str, Path]]:
    """The documents of a request, on each store (SQLite and PostgreSQL)."""
    return _issue(sop_env, tmp_path)


@pytest.fixture
def issued_here(sqlite_sop_env: SopEnv, tmp_path: Path) -> tuple[SopEnv, dict[str, Path]]:
    """The documents of a request, on SQLite alone (their layout does not depend on it)."""
    return _issue(sqlite_sop_env, tmp_path)


def _margins_mm() -> tuple[float, float]:
    from sop_runner.documents.naskah import load_naskah

    margin = load_naskah().data["margin_mm"]
    return float(margin["kiri"]), float(margin["kanan"])


def test_each_document_is_an_a4_naskah_with_kop_number_date_and_signatures(
    issued_here: tuple[SopEnv, dict[str, Path]], tmp_path: Path
):
    pdf.need_poppler()
    for kind, document in issued_here[1].items():
        _looks_like_a_naskah(kind, document, tmp_path / kind)


def _looks_like_a_naskah(kind: str, document: Path, tmp_path: Path) -> None:
    text = pdf.text(document)
    pages, words = pdf.words(document)
    # A4 (210 x 297 mm), every page.
    assert all(round(p.width) == 595 and round(p.height) == 842 for p in pages), pages
    # The kop, the number, the date in Indonesian (WIB), the page numbers.
    assert "PEMERINTAH KABUPATEN TEGAL" in text and "DINAS KOMUNIKASI DAN INFORMATIKA" in text
    assert NUMBER.search(text), text[:800]
    assert f"Halaman 1 dari {len(pages)}" in text
    if kind == "surat_perintah_tugas":
        assert re.search(r"Dikeluarkan di Slawi\s+pada tanggal \d{1,2} \w+ 20\d\d", text), text
    else:
        assert DATE.search(text), text
    # The signature blocks: jabatan, full name, NIP, and the signature's fingerprint.
    signer = {"surat_edaran": "ahmad", "surat_perintah_tugas": "sari", "laporan": "rudi"}[kind]
    full_name, nip, _ = NAMES[signer]
    assert full_name in text
    if kind != "surat_edaran":  # the Pimpinan has not signed this request
        assert f"NIP. {nip[:8]} {nip[8:14]} {nip[14]} {nip[15:]}" in text
        assert re.search(r"sidik tanda tangan:\s+([0-9A-F]{4} ){3}[0-9A-F]{4}", text), text
    else:
        assert "Yth." in text and "Hal" in text and "Sifat" in text and "Tembusan" in text
        assert "Belum ditandatangani secara elektronik" in text
    assert re.search(r"SHA-256\):\s+[0-9a-f]{64}", text), text[-1500:]
    # No English word of the records left in the Indonesian document.
    # (The SOP document itself says "layanan critical" in two steps: quoted as it is.)
    ours = re.sub(r"(layanan|kategori)\s+critical", "", text)
    for english in ENGLISH:
        assert not re.search(rf"\b{english}\b", ours), (english, text)
    # Where the words stand: the kop at the top of page 1; the signature blocks after
    # the whole body (its last words), before the attachment (lampiran) and the
    # verification footer; nothing past the side margins.
    if len(pages) > 1 and kind == "laporan":  # the steps table runs on: its head repeats
        head = [w for w in words if w.text == "Uraian" and w.page == 2]
        assert head and head[0].y_min < pages[1].height * 0.15, head
    kop = next(w for w in words if w.text == "PEMERINTAH")
    assert kop.page == 1 and kop.y_min < pages[0].height * 0.12, kop
    at = [(w.page, w.y_min) for w in words]
    last_of_body = {
        "laporan": "Perkiraan",  # the impact analysis closes the report's body
        "surat_perintah_tugas": "Melaporkan",  # "Untuk: … 2. Melaporkan hasil …"
        "surat_edaran": "Demikian",
    }[kind]
    body_end = max(a for a, w in zip(at, words, strict=True) if w.text == last_of_body)
    surname = full_name.split()[-1] if kind != "surat_edaran" else "Fauzi,"
    name = [a for a, w in zip(at, words, strict=True) if w.text == surname]
    footer = max(a for a, w in zip(at, words, strict=True) if w.text == "(SHA-256):")
    appendix = [a for a, w in zip(at, words, strict=True) if w.text == "Lampiran"]
    signature = min((a for a in name if a > body_end), default=None)
    assert signature is not None and signature < footer, (body_end, name, footer)
    if kind == "surat_perintah_tugas":  # the attachment starts on a page of its own
        assert appendix and signature[0] < max(appendix)[0], (signature, appendix)
    left_mm, right_mm = _margins_mm()
    for w in words:
        assert w.x_min >= left_mm / pdf.MM_PER_POINT - 2, w
        assert w.x_max <= pages[0].width - right_mm / pdf.MM_PER_POINT + 2, w
    # The same seen as pictures: ink starts in the top margin band (the kop) and never
    # crosses the side margins.
    for number, png in enumerate(pdf.pngs(document, tmp_path / "png"), 1):
        width, first, last = pdf.ink_columns(png)
        px_per_mm = width / 210
        assert first >= left_mm * px_per_mm - 3, (png, first)
        assert last <= width - right_mm * px_per_mm + 3, (png, last)
        if number == 1:
            height, top, _ = pdf.ink_rows(png)
            assert top <= height * 0.12, (png, top)


def test_sop_verify_vouches_for_a_produced_file_and_refuses_one_edited_byte(
    issued: tuple[SopEnv, dict[str, Path]], tmp_path: Path
):
    env, files = issued
    produced = [*files.values(), files["laporan"].with_suffix(".html")]
    produced.append(files["surat_edaran"].with_suffix(".md"))
    for path in produced:
        checked = env.sop("verify", str(path))
        assert checked.returncode == 0, (path.name, checked.stdout, checked.stderr)
        assert checked.stdout.startswith(f"SAH: {path.name} adalah "), checked.stdout
        assert NUMBER.search(checked.stdout), checked.stdout
        if path == files["laporan"]:
            assert "Rudi Hartono, S.T." in checked.stdout and "Sari Wulandari" in checked.stdout
    for suffix in ("pdf", "md"):
        original = files["surat_perintah_tugas"].with_suffix(f".{suffix}").read_bytes()
        edited = tmp_path / f"edited.{suffix}"
        middle = len(original) // 2
        edited.write_bytes(
            original[:middle] + bytes([original[middle] ^ 0x01]) + original[middle + 1 :]
        )
        refused = env.sop("verify", str(edited))
        assert refused.returncode == 5, (refused.stdout, refused.stderr)
        lines = refused.stderr.strip().splitlines()
        assert len(lines) == 1 and "bukan dokumen dari catatan" in lines[0], refused.stderr
        assert "Traceback" not in refused.stderr and refused.stdout == ""
    missing = env.sop("verify", str(tmp_path / "tidak-ada.pdf"))
    assert missing.returncode == 2 and "tidak-ada.pdf tidak dapat dibaca" in missing.stderr


def test_a_forged_document_row_without_its_audit_entry_is_refused(
    issued_here: tuple[SopEnv, dict[str, Path]], tmp_path: Path
):
    """Someone with write access to the store records an edited file as issued: the
    audit entry of the issue still names the original hash, so `sop verify` refuses."""
    from sqlalchemy import update

    from sop_runner.documents.models import IssuedDocument
    from sop_runner.documents.verify import file_hash

    env, files = issued_here
    original = files["surat_edaran"].with_suffix(".md")
    forged = tmp_path / original.name
    forged.write_text(original.read_text().replace("Penting", "Biasa"))
    with env.ctx().session() as session:
        session.execute(
            update(IssuedDocument)
            .where(IssuedDocument.file_sha256 == file_hash(original))
            .values(file_sha256=file_hash(forged))
        )
    refused = env.sop("verify", str(forged))
    assert refused.returncode == 5, refused.stdout + refused.stderr
    assert "jejak audit tidak memuat penerbitan berkas ini" in refused.stderr


def test_the_number_is_kept_and_the_sequence_counts_per_kind(
    issued_here: tuple[SopEnv, dict[str, Path]],
):
    env, files = issued_here
    first = NUMBER.search(pdf.text(files["laporan"]))
    assert first is not None
    request_id = files["laporan"].stem.split("-")[-2]
    again = ok(
        env.sop(
            "report", request_id, "--format", "md", "--out", str(files["laporan"].parent / "lagi")
        )
    )
    markdown = Path(again.stdout.split()[0]).read_text()
    assert first.group(0) in markdown  # a document keeps its number when written again
    assert first.group(0).split("/")[1] == "001"


def test_the_report_of_a_real_run_is_indonesian_and_signed_at_the_end(
    sqlite_sop_env: SopEnv, tmp_path: Path
):
    """SOP 6.1 run for real on the controller (ansible_connection local): the report's
    states, criticality and times are Indonesian words in WIB, never the records' codes."""
    pdf.need_poppler()
    env = sqlite_sop_env
    folder = tmp_path / "var-tmp"
    folder.mkdir()
    made = ok(
        env.sop(
            "request", "6.1", "--target", "ctl1", "--reason", "disk penuh",
            "--param", f"cleanup_path={folder}", "--param", "max_age_days=30",
            operator="budi",
        )
    )  # fmt: skip
    request_id = made.stdout.split()[1]
    ok(env.sop("approve", request_id, operator="sari"))
    confirm = [f"--confirm={n}=catatan {n}" for n in (2, 3, 4, 6)]
    ok(env.sop("run", request_id, *confirm, operator="budi"))
    out = tmp_path / "out"
    ok(env.sop("report", request_id, "--out", str(out)))
    report = out / f"laporan-6.1-{request_id}-id.pdf"
    text = pdf.text(report)
    assert "berhasil" in text and "selesai" in text, text
    ours = re.sub(r"(layanan|kategori)\s+critical", "", text)
    for english in ENGLISH:
        assert not re.search(rf"\b{english}\b", ours), (english, text)
    assert re.search(r"\d{1,2} \w+ 20\d\d \d\d\.\d\d WIB", text), text
    pages, words = pdf.words(report)
    last = max((w.page, w.y_min) for w in words if w.text == "(SHA-256):")
    signature = max((w.page, w.y_min) for w in words if w.text == "Sari")
    assert signature < last and signature[0] == len(pages), (signature, last)
    for png in pdf.pngs(report, tmp_path / "png"):
        width, first, final = pdf.ink_columns(png)
        assert first >= 30 * width / 210 - 3 and final <= width - 20 * width / 210 + 3, png
    # Wherever the body ends, the signature is never left alone at the foot of a page with
    # the verification box on the next (seen once when a run's report grew by a few lines).
    html = (out / f"laporan-6.1-{request_id}-id.html").read_text()
    for pad in (10, 20, 30):
        longer = html.replace('<section class="penutup">', f'<div style="height:{pad}mm"></div>'
                              '<section class="penutup">', 1)  # fmt: skip
        grown = tmp_path / f"grown-{pad}.pdf"
        weasyprint.HTML(string=longer).write_pdf(grown)
        pages, words = pdf.words(grown)
        assert any(w.text == "Sari" and w.page == len(pages) for w in words), pad


def test_a_features_documents_are_naskah_too(issued_here: tuple[SopEnv, dict[str, Path]]):
    """`sop upgrade report` (a feature's documents) goes through the same layer: PDF with
    the kop and the next number of the year, the Markdown files first as before."""
    pdf.need_poppler()
    env, files = issued_here
    request_id = files["laporan"].stem.split("-")[-2]
    out = files["laporan"].parent / "fitur"
    written = [
        Path(p)
        for p in ok(env.sop("upgrade", "report", request_id, "--out", str(out))).stdout.split()
    ]
    names = [p.name for p in written]
    assert names[:2] == [
        f"laporan-peningkatan-perangkat-keras-4.1-{request_id}-id.md",
        f"dokumentasi-konfigurasi-4.1-{request_id}-id.md",
    ], names
    report = out / f"laporan-peningkatan-perangkat-keras-4.1-{request_id}-id.pdf"
    text = pdf.text(report)
    assert (
        "PEMERINTAH KABUPATEN TEGAL" in text and "LAPORAN HASIL PENINGKATAN PERANGKAT KERAS" in text
    )
    # The core's report, work order and circular of this request are 001-003 (one yearly
    # sequence for every kind): the feature's report is the next, never a second 002.
    assert re.search(r"500\.12/004/Diskominfo/20\d\d", text), text[:600]
    assert "Sari Wulandari, S.Kom." in text and DATE.search(text)
    assert ok(env.sop("verify", str(report))).stdout.startswith("SAH: ")
    # The remote account log (SOP 2.4) too: no request, so no signature, but kop and number.
    log = ok(env.sop("grant", "report", "--out", str(out / "remote")))
    files_of_log = [Path(p) for p in log.stdout.split()]
    assert files_of_log[0].suffix == ".md", files_of_log
    log_pdf = next(p for p in files_of_log if p.suffix == ".pdf")
    text = pdf.text(log_pdf)
    assert "PEMERINTAH KABUPATEN TEGAL" in text and "DAFTAR LOG AKUN REMOT" in text.upper()
    assert NUMBER.search(text) and DATE.search(text), text[:600]
