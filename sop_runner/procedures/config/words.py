"""The words of SOP 3.1, Indonesian (default) and English: the configuration documentation
and result report, the plan (``plan_*``) and what recovery says (``recover_*``)."""

from __future__ import annotations

WORDS: dict[str, dict[str, str]] = {
    "id": {
        # the configuration documentation and the result report
        "doc_title": "Dokumentasi Konfigurasi",
        "report_title": "Laporan Hasil Konfigurasi",
        "purpose": "Tujuan konfigurasi",
        "existing": "Kondisi eksisting (konfigurasi sebelum perubahan)",
        "steps": "Tahapan konfigurasi",
        "result": "Hasil konfigurasi",
        "substance": "Substansi konfigurasi (diff)",
        "log": "Daftar log konfigurasi",
        "datetime": "Tanggal dan waktu",
        "device": "Perangkat",
        "notes": "Keterangan",
        "passed": "berhasil (lulus uji coba)",
        "passed_logged": "lulus uji coba, dicatat pada daftar log konfigurasi",
        "rolled_back": "gagal uji coba: dibatalkan dan dikembalikan ke konfigurasi sebelumnya "
        "(tidak dicatat pada daftar log)",
        "rollback_verified": "Pengembalian terverifikasi: konfigurasi sama dengan sebelumnya.",
        "rollback_unverified": "PERINGATAN: pengembalian TIDAK terverifikasi; periksa perangkat.",
        "per_device": "Hasil per perangkat",
        "no_change": "Tidak ada perubahan konfigurasi yang lulus uji coba pada pelaksanaan ini.",
        "to": "Kepada: Penanggung jawab Pusat Data",
        "failed_note": "Konfigurasi dibatalkan (dikembalikan ke kondisi sebelumnya)",
        "kind_server": "server",
        "kind_network_device": "perangkat jaringan",
        "attached": "Dokumentasi konfigurasi terlampir",
        # `sop plan`
        "plan_title": "Rencana konfigurasi (SOP 3.1)",
        "plan_intro": "Hasil mode periksa (check mode + diff): belum ada yang diubah.",
        "plan_kind": "Jenis",
        "plan_changes": "Perubahan",
        "plan_will_change": "akan berubah",
        "plan_no_change": "tidak berubah",
        "plan_failed": "GAGAL dirender",
        "plan_commands": "Perintah pada perangkat",
        "plan_error": "Kesalahan",
        # `sop config recover` and the start of `sop`
        "recover_restored": "{host}: perubahan {token} yang tertinggal (watchdog mati) telah "
        "dikembalikan ke konfigurasi sebelumnya",
        "recover_failed": "PERINGATAN: {host}: perubahan {token} TIDAK DAPAT dikembalikan "
        "({why}); perangkat ini diblokir untuk perubahan baru sampai dipulihkan",
        "recover_left": "PERINGATAN: {host}: perubahan {token} belum dikembalikan; jalankan "
        "`sop config recover`, atau pulihkan manual lalu hapus {path}",
        "recover_waiting": "{host}: perubahan {token} masih dalam batas waktu konfirmasinya",
        "recover_none": "Tidak ada perubahan perangkat jaringan yang tertinggal.",
        "recover_unrecorded": "PERINGATAN: tidak dapat dicatat di jejak audit: {why}",
    },
    "en": {
        "doc_title": "Configuration documentation",
        "report_title": "Configuration result report",
        "purpose": "Purpose of the configuration",
        "existing": "Existing state (configuration before the change)",
        "steps": "Configuration steps",
        "result": "Result of the configuration",
        "substance": "Substance of the configuration (diff)",
        "log": "Configuration log",
        "datetime": "Date and time",
        "device": "Device",
        "notes": "Notes",
        "passed": "succeeded (passed its test)",
        "passed_logged": "passed its test, entered in the configuration log",
        "rolled_back": "failed its test: cancelled and rolled back to the previous "
        "configuration (not in the log)",
        "rollback_verified": "Rollback verified: the configuration equals the one before.",
        "rollback_unverified": "WARNING: rollback NOT verified; check the device.",
        "per_device": "Result per device",
        "no_change": "No configuration change passed its test in this run.",
        "to": "To: the data center's person in charge",
        "failed_note": "Configuration cancelled (rolled back to the state before)",
        "kind_server": "server",
        "kind_network_device": "network device",
        "attached": "Configuration documentation attached",
        "plan_title": "Configuration plan (SOP 3.1)",
        "plan_intro": "Check mode with diff: nothing has been changed.",
        "plan_kind": "Kind",
        "plan_changes": "Changes",
        "plan_will_change": "will change",
        "plan_no_change": "no change",
        "plan_failed": "FAILED to render",
        "plan_commands": "Commands on the device",
        "plan_error": "Error",
        "recover_restored": "{host}: change {token} left behind (dead watchdog) was rolled "
        "back to the configuration before",
        "recover_failed": "WARNING: {host}: change {token} could NOT be rolled back ({why}); "
        "new changes to this device are refused until it is sorted out",
        "recover_left": "WARNING: {host}: change {token} is not rolled back; run `sop config "
        "recover`, or restore by hand and remove {path}",
        "recover_waiting": "{host}: change {token} is still within its confirmation window",
        "recover_none": "No network change is left behind.",
        "recover_unrecorded": "WARNING: could not be recorded in the audit trail: {why}",
    },
}
