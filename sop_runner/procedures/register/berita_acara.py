"""The Berita Acara Pemasangan Sarana (SOP 1.4 step 6) as an official document (naskah dinas).

Through sop_runner/documents (kop, nomor, Indonesian date in WIB, QR and SHA-256,
`sop verify`): what was installed where and when, who installed it; signature
blocks for the vendor (signed on paper: the scanned signed copy is attached and
its SHA-256 printed) and the penanggung jawab "Mengetahui" (their ed25519
acknowledgement, shown only when it verifies against the registry).
"""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sop_runner.documents import dates
from sop_runner.documents.layout import Document
from sop_runner.documents.naskah import load_naskah
from sop_runner.documents.publish import issue
from sop_runner.documents.signatures import Signer, block
from sop_runner.errors import SopError
from sop_runner.escaping import md
from sop_runner.i18n import _
from sop_runner.procedures.register import facility, places, service
from sop_runner.trust.trail import verify_block

KIND = "berita_acara"
DAYS = ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")
KIND_WORDS = {
    "power": "Catu daya",
    "ac": "Pengatur dan pengukur pendingin ruangan (AC)",
    "humidity": "Pengatur dan pengukur kelembaban",
    "fire_detection": "Deteksi kebakaran",
    "fire_suppression": "Pemadam kebakaran",
    "cctv": "CCTV",
    "access_lock": "Finger/face lock",
    "lighting": "Lampu",
}


def _row(label: str, value: Any) -> str:
    return f"| {md(label)} | {md(str(value)) if value not in (None, '') else '—'} |"


def body(request: Any, row: Any, room_title: str, when: datetime, zone: str) -> str:
    """Given a 1.4 request, its berita acara record, the room and the time, return the
    document's body in Markdown (Indonesian)."""
    p = request.params
    local = dates.local(when, zone)
    window = p.get("maintenance_window") or "—"
    services = ", ".join(p.get("services") or []) or "tidak ada"
    lines = [
        f"Pada hari ini, {DAYS[local.weekday()]}, tanggal {dates.long_date(when, zone)}, "
        f"bertempat di {md(room_title)}, Pusat Data Kabupaten Tegal, telah dilaksanakan "
        "pemasangan sarana pendukung Pusat Data dengan rincian sebagai berikut:",
        "",
        "| | |",
        "|---|---|",
        _row("Nama sarana", p["facility"]),
        _row("Jenis sarana", KIND_WORDS.get(p["facility_kind"], p["facility_kind"])),
        _row("Merek / vendor", p.get("vendor")),
        _row("Model", p.get("model")),
        _row("Nomor seri", p.get("serial")),
        _row("Lokasi", room_title),
        _row("Dasar", f"Surat Perintah Tugas, permintaan #{request.id} (SOP 1.4)"),
        _row("Jadwal pelaksanaan", window),
        _row("Layanan terdampak", services),
        "",
        f"Pemasangan dilaksanakan oleh {md(row.vendor_name)}"
        + (f" ({md(row.vendor_company)})" if row.vendor_company else "")
        + " dengan pendampingan petugas Pusat Data.",
        "",
        "Berita acara ini ditandatangani oleh pihak vendor/supplier/rekanan di atas kertas; "
        f"salinan pindaian yang telah ditandatangani dilampirkan: **{md(row.scan_name)}**, "
        f"SHA-256 `{row.scan_sha256}`. Penanggung jawab Pusat Data mengetahui dengan tanda "
        "tangan elektronik.",
        "",
        "Demikian berita acara ini dibuat untuk dipergunakan sebagaimana mestinya.",
    ]
    return "\n".join(lines) + "\n"


def signers(ctx: Any, request_id: int, row: Any) -> tuple[Signer, ...]:
    """Given a berita acara record, return the vendor's block (paper: no electronic
    signature) and the penanggung jawab's "Mengetahui" block (signed when it verifies)."""
    vendor = Signer(
        heading="Pihak Vendor/Supplier/Rekanan",
        name=row.vendor_name,
        full_name=row.vendor_name,
        jabatan=row.vendor_company,
        nip="",
        fingerprint="",
        signed_at="",
    )
    trusted = ctx.trusted
    heading = "Mengetahui, Penanggung Jawab Pusat Data"
    problems = verify_block(
        row.acknowledged,
        facility.ACK_ACTION,
        f"request/{request_id}",
        facility.ack_data(row),
        str(row.acknowledged_by),
        trusted.history,
    )
    if problems:
        name = row.acknowledged_by or "penanggung jawab"
        return vendor, block(trusted.current, name, heading)
    ack = row.acknowledged
    return vendor, block(
        trusted.current, row.acknowledged_by, heading, ack["signature"], ack["time"]
    )


def issue_berita_acara(ctx: Any, request_id: int, out: Path) -> list[Path]:
    """Given a 1.4 request whose scan is recorded, issue its berita acara (PDF, HTML,
    Markdown) into ``out`` with the scan copied beside it; return the paths.

    Raise SopError when the request names no facility or the scan is not recorded.
    """
    from sop_runner.requests import get_request

    naskah = load_naskah()
    with ctx.session() as session:
        facility._facility_request(session, request_id)
        request = get_request(session, request_id)
        row = facility.get_record(session, request_id)
        if row is None:
            raise SopError(
                _("request {request}: record the berita acara scan first (--scan)").format(
                    request=request_id
                )
            )
        room = places.get_room(session, request.targets[0])
        room_title = room.title if room else request.targets[0]
        text = body(request, row, room_title, datetime.now(UTC), naskah.time_zone)
        blocks = signers(ctx, request_id, row)
        registered = service.get_device(session, request.params["facility"]) is not None
        session.expunge_all()
    document = Document(
        kind=KIND,
        subject=f"request/{request_id}/berita-acara",
        title="Berita Acara Pemasangan Sarana Pendukung Pusat Data",
        file_stem=f"berita-acara-1.4-{request_id}",
        lang="id",
        body_markdown=text,
        signers=blocks,
        # No request_id: `sop verify` re-checks only a request's and its approvals'
        # signatures, and this one shows the vendor's (paper) and the PJ's acknowledgement
        # (checked here, against the registry, before it is shown).
        request_id=None,
        appendix_markdown=(
            f"Salinan pindaian berita acara bertanda tangan vendor: {md(row.scan_name)}  \n"
            f"SHA-256: `{row.scan_sha256}`  \n"
            f"Tercatat di buku daftar perangkat: {'ya' if registered else 'belum (langkah 7)'}\n"
        ),
    )
    out.mkdir(parents=True, exist_ok=True)
    return issue(ctx, document, out)


def attach_scan(scan: Path, out: Path, request_id: int) -> Path:
    """Given the scan and the document folder, copy the scan beside the document; return it."""
    target = out / f"berita-acara-1.4-{request_id}-pindaian{scan.suffix}"
    shutil.copyfile(scan, target)
    return target
