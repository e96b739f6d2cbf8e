"""The refusals of operators, the store and the config file speak the person's language
(issue 17): Indonesian by default, English on request; settings, roles and URLs kept."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.config import load_settings
from sop_runner.errors import SopError
from sop_runner.operators import require_role
from sop_runner.store.hardening import admin_url_problem
from sop_runner.trust.registry import RegistryOperator

BUDI = RegistryOperator(
    name="budi",
    unix_user="budi",
    roles=("petugas",),
    public_key="",
    full_name="Budi Santoso",
    nip=None,
    jabatan="Petugas",
)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "operator: 'budi' (peran petugas) tidak memegang peran pimpinan, yang diperlukan "),
        ("en", "operator: 'budi' (roles petugas) does not hold the role pimpinan, which "),
    ],
)
def test_a_missing_role_is_refused_in_the_persons_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    with pytest.raises(SopError) as info:
        require_role(BUDI, "pimpinan", "x")
    assert str(info.value).startswith(expected)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        (
            "id",
            "tidak boleh memuat kata sandi (argv terlihat oleh setiap pengguna); pakai ~/.pgpass",
        ),
        ("en", "must not carry a password (argv is visible to every user); use ~/.pgpass"),
    ],
)
def test_an_admin_url_is_refused_in_the_persons_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    assert admin_url_problem("postgresql://owner:rahasia@db/sop") == expected


@pytest.mark.parametrize(
    ("sop_lang", "expected"),
    [
        (None, "berkas konfigurasi {path}: pengaturan 'nope' tidak dikenal; yang diizinkan: "),
        ("en", "config file {path}: unknown setting 'nope'; allowed: "),
    ],
)
def test_a_bad_config_file_is_refused_in_the_persons_language(
    tmp_path: Path, monkeypatch, sop_lang, expected
):
    # The language is not chosen yet, so it is looked for in this very config file: its
    # refusal is said in the default language then, not read again without end.
    config = tmp_path / "sop.yml"
    config.write_text("nope: 1\n")
    monkeypatch.setenv("SOP_CONFIG", str(config))
    monkeypatch.setattr(i18n, "_chosen", None)
    monkeypatch.setattr(i18n.sys, "argv", ["sop"])
    if sop_lang is None:
        monkeypatch.delenv("SOP_LANG", raising=False)
    else:
        monkeypatch.setenv("SOP_LANG", sop_lang)
    with pytest.raises(SopError) as info:
        load_settings()
    assert str(info.value).startswith(expected.format(path=config))
