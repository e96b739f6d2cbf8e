"""The refusals of trust (sop_runner/trust/*) speak the person's language (issue 17):
Indonesian by default, English on request; names, versions and fields kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.errors import SopError
from sop_runner.trust import registry
from sop_runner.trust.names import name_problem
from sop_runner.trust.trustfile import load_trust
from tests.support.trust import make_trust_root

OPERATORS = {"ahmad": ["pimpinan"], "budi": ["petugas"]}


@pytest.fixture
def setup(tmp_path: Path):
    return make_trust_root(OPERATORS, tmp_path / "keys", base=tmp_path, owner_uid=os.getuid())


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "operator: 'mallory' tidak ada di registri versi 1; operator yang dikenal: "),
        ("en", "operator: 'mallory' is not in registry version 1; known operators: "),
    ],
)
def test_an_unknown_operator_is_refused_in_the_persons_language(setup, monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    with pytest.raises(SopError) as info:
        registry.current(setup.trust).operator("mallory")
    assert str(info.value).startswith(expected)


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "berkas kepercayaan {path}: dapat ditulis grup atau pengguna lain (mode 0666)"),
        ("en", "trust file {path}: writable by group or others (mode 0666)"),
    ],
)
def test_an_unsafe_trust_file_is_refused_in_the_persons_language(
    setup, monkeypatch, lang, expected
):
    monkeypatch.setattr(i18n, "_chosen", lang)
    os.chmod(setup.trust_file, 0o666)
    with pytest.raises(SopError) as info:
        load_trust(setup.trust_file, owner_uid=os.getuid())
    assert str(info.value).startswith(expected.format(path=setup.trust_file))


@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("id", "'Budi' memuat huruf kapital; nama ditulis dengan huruf kecil (2–32 karakter"),
        ("en", "'Budi' has upper-case letters; names are written in lower case (2–32 characters"),
    ],
)
def test_a_name_rule_is_said_in_the_persons_language(monkeypatch, lang, expected):
    monkeypatch.setattr(i18n, "_chosen", lang)
    assert (name_problem("Budi") or "").startswith(expected)


def test_an_empty_registry_says_how_to_start_in_indonesian(setup, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "id")
    for version in setup.registry.glob("*.json"):
        version.unlink()
    assert registry.verify(setup.trust) == [
        f"registri {setup.registry}: belum berisi versi apa pun; usulkan versi 1 dengan "
        "`sop operators propose` lalu minta pimpinan menandatanganinya"
    ]
