"""The words of the SOP 7.1–7.5 reports and recap: one table, Indonesian (default) and English.

Each term holds its two languages side by side, so neither can miss a word the
other has.
"""

from __future__ import annotations

LANGUAGES = ("id", "en")

_TERMS: dict[str, tuple[str, str]] = {
    "report_7.1": ("Laporan hasil backup file", "File backup result report"),
    "report_7.2": ("Laporan hasil backup data", "Data backup result report"),
    "report_7.3": ("Laporan hasil restore file", "File restore result report"),
    "report_7.4": ("Laporan hasil restore data", "Data restore result report"),
    "report_7.5": ("Laporan hasil penghapusan backup file", "Backup deletion result report"),
    "recap": ("Rekapitulasi kegiatan backup data semester", "Semester recap of data backups"),
    "request": ("Permintaan", "Request"),
    "run": ("Pelaksanaan", "Run"),
    "operator": ("Petugas", "Officer"),
    "datetime": ("Tanggal dan jam", "Date and time"),
    "host": ("Host", "Host"),
    "source": ("Sumber", "Source"),
    "repository": ("Media penyimpanan (repositori)", "Storage medium (repository)"),
    "snapshot": ("Snapshot", "Snapshot"),
    "size": ("Besaran", "Size"),
    "file_types": ("Jenis file", "File types"),
    "files": ("Jumlah file", "Files"),
    "status": ("Status", "Status"),
    "database": ("Nama basis data", "Database name"),
    "data_type": ("Jenis data", "Data type"),
    "filename": ("Nama file", "File name"),
    "error": ("Keterangan", "Notes"),
    "target": ("Tujuan restore", "Restored to"),
    "overwrite": ("Menimpa data", "Overwrite"),
    "verified": ("Terverifikasi", "Verified"),
    "tables": ("Tabel (baris / checksum)", "Tables (rows / checksum)"),
    "deleted": ("Backup yang dihapus", "Backups deleted"),
    "kept_last": (
        "Lebih dari 1 tahun tetapi disimpan (backup terakhir dari sumbernya)",
        "Older than 1 year but kept (last backup of its source)",
    ),
    "future": (
        "Snapshot bertanggal di masa depan (periksa jam sistem)",
        "Snapshots dated in the future (check the system clock)",
    ),
    "name": ("Nama file", "File name"),
    "type": ("Jenis", "Type"),
    "owner": ("Pemilik (host/sumber)", "Owner (host/source)"),
    "age": ("Umur (hari)", "Age (days)"),
    "checks": ("Pemeriksaan repositori", "Repository checks"),
    "subset": ("Bagian data dibaca", "Data subset read"),
    "none": ("Tidak ada.", "None."),
    "ok": ("berhasil", "ok"),
    "failed": ("GAGAL", "FAILED"),
    "refused": ("DITOLAK", "REFUSED"),
    "mismatch": ("TIDAK SAMA", "MISMATCH"),
    "yes": ("ya", "yes"),
    "no": ("tidak", "no"),
    "period": ("Periode", "Period"),
    "total": ("Jumlah backup", "Backups"),
    "generated": ("Dibuat", "Generated"),
    "pruned": ("Prune dijalankan", "Prune run"),
    "retention_today": ("Dihitung dari tanggal", "Counted from"),
    "file": ("file", "file"),
    "database_kind": ("basis data", "database"),
}

WORDS: dict[str, dict[str, str]] = {
    lang: {term: pair[i] for term, pair in _TERMS.items()} for i, lang in enumerate(LANGUAGES)
}
