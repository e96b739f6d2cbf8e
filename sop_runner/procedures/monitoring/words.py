"""The words of the 6.1 report section, Indonesian (default) and English."""

from __future__ import annotations

WORDS = {
    "id": {
        "resource_samples": "Catatan beban sumber daya",
        "host": "Perangkat",
        "cpu": "CPU (beban 1 menit / jumlah inti)",
        "memory": "RAM terpakai",
        "disk": "Disk terpakai",
        "network": "Jaringan (terima / kirim)",
        "removed_files": "Berkas yang dihapus",
    },
    "en": {
        "resource_samples": "Resource load records",
        "host": "Device",
        "cpu": "CPU (1-minute load / cores)",
        "memory": "RAM used",
        "disk": "Disk used",
        "network": "Network (received / sent)",
        "removed_files": "Files removed",
    },
}
