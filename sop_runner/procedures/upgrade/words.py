"""The words of the SOP 4.1/4.2 documents, Indonesian (default) and English."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "id": {
        "analysis_title": "Laporan hasil analisis kesesuaian sistem operasi",
        "report_title": "Laporan hasil peningkatan sistem operasi",
        "doc_title": "Dokumentasi konfigurasi",
        "hw_title": "Laporan hasil peningkatan perangkat keras",
        "compatible": "sesuai",
        "not_compatible": "tidak sesuai",
        "postponed": "DITUNDA — sistem operasi baru tidak sesuai dengan lingkungan aplikasi",
        "upgraded": "BERHASIL — sistem operasi ditingkatkan dan lolos uji",
        "failed_recovered": "GAGAL — uji setelah peningkatan gagal; dipulihkan dan terverifikasi",
        "failed": "GAGAL — uji setelah peningkatan gagal; pemulihan belum terverifikasi",
        "cancelled": "DIBATALKAN — perangkat keras tidak cocok atau gagal uji",
        "in_progress": "BELUM SELESAI",
        "yes": "ya",
        "no": "tidak",
    },
    "en": {
        "analysis_title": "Operating system compatibility analysis report",
        "report_title": "Operating system upgrade result report",
        "doc_title": "Configuration documentation",
        "hw_title": "Hardware upgrade result report",
        "compatible": "compatible",
        "not_compatible": "not compatible",
        "postponed": "POSTPONED — the new operating system does not fit the applications",
        "upgraded": "DONE — the operating system was upgraded and passed its test",
        "failed_recovered": "FAILED — the test after the upgrade failed; recovered and verified",
        "failed": "FAILED — the test after the upgrade failed; recovery not verified",
        "cancelled": "CANCELLED — the hardware did not fit or failed its test",
        "in_progress": "NOT FINISHED",
        "yes": "yes",
        "no": "no",
    },
}
