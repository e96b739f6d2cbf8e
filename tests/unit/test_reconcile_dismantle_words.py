"""The last English lines of issue 17: the anomaly descriptions of `sop grant reconcile`
(grants/recorders.py) and the output lines of `sop dismantle sign`/`boot-disk` speak the
person's language (docs/i18n.md). The records keep the English description (data, the same
in every language); it is translated when shown."""

from __future__ import annotations

import pytest

from sop_runner import i18n
from sop_runner.procedures.dismantle import certificate
from sop_runner.procedures.dismantle.cli import boot_disk_line, signed_line
from sop_runner.procedures.grants import recorders
from sop_runner.procedures.grants.cli import anomaly_line


def test_each_anomaly_description_has_its_indonesian():
    assert recorders.ANOMALIES, "the descriptions the reconciliation records"
    indonesian = i18n.translations("id")
    for what in recorders.ANOMALIES:
        assert indonesian.gettext(what) != what, what


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            "  anomali: 10.0.0.5 -> srv1 tcp/22: ada di firewall tetapi tidak di catatan "
            "(atau sudah berakhir); ditutup",
        ),
        (
            "en",
            "  anomaly: 10.0.0.5 -> srv1 tcp/22: on the firewall but not in the records "
            "(or ended); closed",
        ),
    ],
)
def test_an_anomaly_line_speaks_the_persons_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    recorded = {"source": "10.0.0.5", "destination": "srv1", "protocol": "tcp", "port": 22}
    assert anomaly_line({**recorded, "what": recorders.REMOVED}) == expected


@pytest.mark.parametrize(
    ("lang", "verified", "expected"),
    [
        ("id", True, "tercatat srv2:/dev/sda (nwipe, terverifikasi) sebagai penghapusan 4"),
        ("id", False, "tercatat srv2:/dev/sda (nwipe, TIDAK terverifikasi) sebagai penghapusan 4"),
        ("en", True, "recorded srv2:/dev/sda (nwipe, verified) as wipe 4"),
        ("en", False, "recorded srv2:/dev/sda (nwipe, NOT verified) as wipe 4"),
    ],
)
def test_a_boot_disk_line_speaks_the_persons_language(monkeypatch, lang, verified, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    assert boot_disk_line("srv2", "/dev/sda", "nwipe", verified, 4) == expected


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "ditandatangani srv2:/dev/sda (pelaksana)"),
        ("en", "signed srv2:/dev/sda (performer)"),
    ],
)
def test_a_signed_line_speaks_the_persons_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    assert signed_line(certificate.Signed("srv2", "/dev/sda", "performer")) == expected
