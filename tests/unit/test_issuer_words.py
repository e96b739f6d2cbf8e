"""The certificate issuer, the catalog loader and the feature contract refuse in the
person's language (issue 17): Indonesian by default, English with ``SOP_LANG=en``."""

from __future__ import annotations

from pathlib import Path

import pytest

from sop_runner import i18n
from sop_runner.catalog.loader import load_catalog
from sop_runner.features import Feature, build_registry
from sop_runner.issuer import certs
from sop_runner.issuer.__main__ import main
from sop_runner.issuer.ask import parse_ask
from tests.support.refusals import refusal


@pytest.fixture(params=["id", "en"])
def lang(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Choose the language as a person does: $SOP_LANG, or nothing for the default."""
    monkeypatch.setattr(i18n, "_chosen", None)
    if request.param == "en":
        monkeypatch.setenv("SOP_LANG", "en")
    else:
        monkeypatch.delenv("SOP_LANG", raising=False)
    return request.param


WORDS = {
    "id": {
        "ask": "ask: bukan satu objek JSON dalam satu baris",
        "key": "public_key: 'ssh-rsa' tidak diizinkan; yang diharapkan: kunci publik OpenSSH "
        "berjenis ssh-ed25519",
        "feature": "fitur 'a': terdaftar dua kali",
        "catalog": ": tidak ada",
        "root": "issuer: harus berjalan sebagai root (hanya root yang membaca kunci CA)",
        "exists": ": sudah ada; pakai --force untuk menggantinya",
    },
    "en": {
        "ask": "ask: not one JSON object on one line",
        "key": "public_key: 'ssh-rsa' is not allowed; expected an OpenSSH public key of type "
        "ssh-ed25519",
        "feature": "feature 'a': registered twice",
        "catalog": ": does not exist",
        "root": "issuer: must run as root (it alone reads the CA key)",
        "exists": ": exists already; use --force to replace it",
    },
}


def test_the_issuers_refusals_follow_the_language(lang, tmp_path, capsys) -> None:
    words = WORDS[lang]
    assert refusal(parse_ask, b"not json") == words["ask"]
    assert refusal(certs.public_key_of, "ssh-rsa AAAA x") == words["key"]
    # `python -m sop_runner.issuer`: one line on stderr, as root or not.
    existing = tmp_path / "ca"
    existing.write_text("")
    assert main(["init-ca", "--ca-key", str(existing)]) == 2
    said = capsys.readouterr().err.strip()
    expected = words["exists"] if said.startswith("issuer: error: --ca-key") else words["root"]
    assert said.endswith(expected), said


def test_the_catalog_and_the_feature_contract_follow_the_language(lang, tmp_path: Path) -> None:
    words = WORDS[lang]
    first = Feature(name="a")
    assert refusal(build_registry, [first, first]) == words["feature"]
    missing = tmp_path / "nowhere"
    assert refusal(load_catalog, missing).endswith(words["catalog"])
