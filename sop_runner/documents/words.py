"""The words of the documents' frame (kop, heading, signatures, checks), id and en."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "number": "Nomor",
        "sifat": "Sifat",
        "lampiran": "Lampiran",
        "hal": "Hal",
        "yth": "Yth.",
        "issued_in": "Dikeluarkan di",
        "on_date": "pada tanggal",
        "signed_electronically": "Ditandatangani secara elektronik, sidik tanda tangan:",
        "not_signed": "Belum ditandatangani secara elektronik",
        "nip": "NIP.",
        "tembusan": "Tembusan",
        "check_line": "Sidik dokumen (SHA-256):",
        "qr_text": "Isi kode QR:",
        "verify_hint": "Keaslian berkas ini diperiksa dengan `sop verify BERKAS`.",
        "page": "Halaman",
        "of": "dari",
    },
    "en": {
        "number": "Number",
        "sifat": "Classification",
        "lampiran": "Attachment",
        "hal": "Subject",
        "yth": "To:",
        "issued_in": "Issued at",
        "on_date": "on",
        "signed_electronically": "Signed electronically, signature fingerprint:",
        "not_signed": "Not signed electronically yet",
        "nip": "NIP",
        "tembusan": "Copies to",
        "check_line": "Document fingerprint (SHA-256):",
        "qr_text": "QR code content:",
        "verify_hint": "Check this file with `sop verify FILE`.",
        "page": "Page",
        "of": "of",
    },
}
