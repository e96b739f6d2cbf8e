"""The last English refusals of `sop dismantle` and `sop grant` speak the person's language
(issue 17, docs/i18n.md): Indonesian by default, English with SOP_LANG=en; the option they
name and the values stay as written."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.procedures.dismantle.bootdisk import nwipe_summary, record_boot_disk
from sop_runner.procedures.dismantle.policy import signing_role
from sop_runner.procedures.grants import accounts, policy
from tests.support.refusals import refusal


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "--log: bukan log nwipe (tidak ada baris 'banner = nwipe …')",
                "--method: 'shred' tidak diizinkan; yang diizinkan: clear, purge",
                "sign: 'dewi' tidak melaksanakan penghapusan dan tidak memegang satu pun dari "
                "penanggung_jawab, pimpinan; validator harus orang kedua yang memegang "
                "salah satunya",
            ],
        ),
        (
            "en",
            [
                "--log: not an nwipe log (no 'banner = nwipe …' line)",
                "--method: 'shred' is not allowed; allowed: clear, purge",
                "sign: 'dewi' did not perform the wipe and holds none of penanggung_jawab, "
                "pimpinan; the validator must be a second person with one of them",
            ],
        ),
    ],
)
def test_dismantle_boot_disk_refusals_speak_the_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    said = [
        refusal(nwipe_summary, "dd: 8388608 bytes copied\n", "/dev/loop3"),
        # The method is refused before the store is read: no installation is needed.
        refusal(record_boot_disk, None, 1, "budi", "srv2", "/dev/sda", Path("/x"), "shred"),
        refusal(signing_role, "dewi", ["petugas"], "budi"),
    ]
    assert said == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            [
                "--account: 'Root!' tidak diizinkan; yang diizinkan: nama akun Unix dari a-z, "
                "0-9, _ dan -",
                "masa berakhirnya 2026-11-30T10:00:00+00:00 tiba sebelum izin mencapai firewall "
                "(sisa 0.0 detik, diperlukan paling sedikit 1s); firewall tidak diubah",
            ],
        ),
        (
            "en",
            [
                "--account: 'Root!' is not allowed; a Unix account name of a-z, 0-9, _ and -",
                "its end 2026-11-30T10:00:00+00:00 came before it reached the firewall "
                "(0.0s left, at least 1s needed); the firewall was not touched",
            ],
        ),
    ],
)
def test_grant_refusals_speak_the_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    end = datetime(2026, 11, 30, 10, tzinfo=UTC)
    late = policy.too_late(end, end + timedelta(seconds=1))
    assert late is not None and late["key"] == "late"  # recorded as a key and its values
    said = [
        refusal(accounts.read_vendor_key, Path("/nonexistent.pub"), "Root!"),
        policy.unreached_text(late),
    ]
    assert said == expected
    assert policy.unreached_text(late, "en").startswith("its end 2026-11-30T10:00:00")
