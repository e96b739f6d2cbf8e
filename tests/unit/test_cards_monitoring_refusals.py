"""The refusals of the control cards, monitoring and `sop grant reconcile` (issue 17):
Indonesian by default, English with ``SOP_LANG=en``; option names, field names and
allowed values stay as typed."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from sop_runner import i18n
from sop_runner.errors import SopError
from sop_runner.procedures.cards.policy import check_range
from sop_runner.procedures.cards.settings import parse_settings
from sop_runner.procedures.grants.reconcile import firewalls_of
from sop_runner.procedures.monitoring.periodic import period_of

INVENTORY = SimpleNamespace(inventory=SimpleNamespace(groups={"firewalls": frozenset({"gw"})}))

REFUSALS = [
    (
        lambda: check_range(120, 0, 100, "--persen", "%"),
        "--persen: 120 tidak diizinkan; gunakan 0 sampai 100 %",
        "--persen: 120 is not allowed; use 0 to 100 %",
    ),
    (
        lambda: parse_settings({"ups": [{"tempat": "server-farm"}]}, "site"),
        "site.ups[0].nama: wajib (nama UPS di ups.conf milik NUT)",
        "site.ups[0].nama: required (the UPS's name in NUT's ups.conf)",
    ),
    (
        lambda: period_of("yearly", None, None),
        "--period: 'yearly' tidak diizinkan; gunakan weekly atau monthly",
        "--period: 'yearly' is not allowed; use weekly or monthly",
    ),
    (
        lambda: firewalls_of(INVENTORY, "srv1"),  # type: ignore[arg-type]
        "--firewall: 'srv1' tidak ada dalam grup 'firewalls'; yang diizinkan: gw",
        "--firewall: 'srv1' is not in the group 'firewalls'; allowed: gw",
    ),
]


@pytest.mark.parametrize("lang", ["default", "en"])
@pytest.mark.parametrize(
    ("refused", "indonesian", "english"),
    REFUSALS,
    ids=["cards-range", "cards-settings", "monitoring-period", "grant-reconcile"],
)
def test_a_refusal_is_indonesian_by_default_and_english_with_sop_lang_en(
    monkeypatch, lang, refused, indonesian, english
):
    monkeypatch.setattr(i18n, "_chosen", None)  # chosen afresh, as a new process does
    monkeypatch.setattr(i18n, "_config_language", lambda: None)  # no sop.yml's lang:
    monkeypatch.setattr("sys.argv", ["sop"])
    if lang == "en":
        monkeypatch.setenv("SOP_LANG", "en")
    else:
        monkeypatch.delenv("SOP_LANG", raising=False)
    with pytest.raises(SopError) as raised:
        refused()
    assert str(raised.value) == (english if lang == "en" else indonesian)
