"""Request parameters are parsed strictly; keys stay private.  (That the request hash
fixes every field is a store test: tests/component/test_request_hash.py.)"""

from __future__ import annotations

import os

import pytest

from sop_runner import i18n, keys
from sop_runner.errors import SopError
from sop_runner.requests import parse_params


def test_params_are_parsed_as_scalars_and_lists():
    assert parse_params(["a=1", "b=/srv/data", "c=[x, y]", "d=true", "e="]) == {
        "a": 1,
        "b": "/srv/data",
        "c": ["x", "y"],
        "d": True,
        "e": "",
    }


@pytest.mark.parametrize(
    ("pair", "words"),
    [
        ("novalue", "KEY=VALUE"),
        ("Bad-Key=1", "KEY=VALUE"),
        ("sop_request=3", "sudah dipakai sop sendiri"),
        ("x={a: 1}", r"satu nilai atau \[daftar\] datar"),
        ("x=[[1]]", r"satu nilai atau \[daftar\] datar"),
    ],
)
def test_malformed_params_are_refused(pair, words):
    with pytest.raises(SopError, match=words):
        parse_params([pair])


def test_private_key_is_created_0600_and_not_replaced(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "id")  # Indonesian, as `sop` says it by default
    public = keys.init_key(tmp_path / "k", "budi")
    path = keys.key_path(tmp_path / "k", "budi")
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(public) == 44
    with pytest.raises(SopError, match="sudah ada; pakai --force"):
        keys.init_key(tmp_path / "k", "budi")


def test_key_readable_by_others_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(i18n, "_chosen", "en")
    keys.init_key(tmp_path, "budi")
    os.chmod(keys.key_path(tmp_path, "budi"), 0o644)
    with pytest.raises(SopError, match="readable by others"):
        keys.sign(tmp_path, "budi", "x")
